"""One writer process of the concurrency benchmark (and the SIGKILL fault test).

    python -m benchmarks.writer LOG TAG COUNT [GO_FILE]

Opens the log, prints "ready", waits for GO_FILE to exist (so that every writer
starts together), saves COUNT episodes (patient TAG, episode references 0..COUNT-1),
printing each saved id, then a JSON summary with its start and end on the
system-wide monotonic clock. Errors are counted and reported, never raised.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, LogError

    log_path, tag, count = argv[0], argv[1], int(argv[2])
    go = argv[3] if len(argv) > 3 else None
    coding = Coding([CodedEntry("K57.8", "opcs4", "OPCS-4.10"), CodedEntry("Y02.1", "opcs4", "OPCS-4.10"),
                     CodedEntry("Z94.2", "opcs4", "OPCS-4.10")], [CodedEntry("I50.0", "icd10", "ICD-10 WHO 2019")])
    log = EpisodeLog(log_path)
    print("ready", flush=True)
    while go and not os.path.exists(go):
        time.sleep(0.001)
    start = time.monotonic()
    errors: list[str] = []
    saved = 0
    for i in range(count):
        details = EpisodeDetails(patient=tag, episode=str(i), date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 300))
        try:
            summary = log.save(details, coding, coder="bench.coder")
        except LogError as exc:
            errors.append(str(exc))
            continue
        saved += 1
        print(summary.id, flush=True)
    end = time.monotonic()
    log.close()
    print(json.dumps({"start": start, "end": end, "saved": saved, "errors": errors[:5],
                      "error_count": len(errors)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
