"""One process of the log torture test: several threads, each opening and closing logs.

    python -m tests.torture_worker LOG TAG THREADS SECONDS OUT_FOLDER

Each thread loops until SECONDS pass: opens a new EpisodeLog (as the app does per
worker thread), then saves (with a save id), amends, lists, exports or verifies,
and closes it. Before a save it prints ``START <save id>``; after the save returns,
``ACK <save id> <episode id>``; after an amend, ``AMEND <episode id> <version>``.
The supervisor SIGKILLs processes at random and reconciles these lines with the log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import sys
import threading
import time
from pathlib import Path

_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def coding(n: int):  # noqa: ANN201 - the Coding type is imported lazily
    from workbench.core.episodes import CodedEntry, Coding

    return Coding([CodedEntry("L80.4", "opcs4", "4.10"), CodedEntry(f"Y53.{n % 10}", "opcs4", "4.10")],
                  [CodedEntry("I70.2", "icd10", "2019")])


def thread_main(path: Path, tag: str, number: int, stop_at: float, out: Path) -> None:
    from workbench.core.episodes import EpisodeDetails, EpisodeLog, LogError

    rng = random.Random(f"{tag}-{number}")
    n = 0
    # Even threads keep one log open for their whole life, as the app's workers do, while
    # odd threads open and close one per operation: the mix that once dropped locks.
    kept = EpisodeLog(path) if number % 2 == 0 else None
    while time.monotonic() < stop_at:
        n += 1
        try:
            with (contextlib.nullcontext(kept) if kept else EpisodeLog(path)) as log:
                action = rng.random()
                if action < 0.55:
                    save_id = f"{tag}-{number}-{n}"
                    say(f"START {save_id}")
                    details = EpisodeDetails(patient=save_id, episode="E", date=dt.date(2024, 1, 1 + n % 28))
                    saved = log.save(details, coding(n), coder=tag, save_id=save_id)
                    say(f"ACK {save_id} {saved.id}")
                elif action < 0.75:
                    count = log.count()
                    if count:
                        target = rng.randint(1, count)
                        amended = log.amend(target, coding(n + 1), reason="torture", coder=tag)
                        say(f"AMEND {target} {amended.latest.version}")
                elif action < 0.9:
                    log.list(limit=50)
                elif action < 0.97:
                    log.export_to_file(out / f"{tag}-{number}.csv", force=True)
                else:
                    log.verify(use_checkpoint_file=False)
        except LogError as exc:
            if "is void" not in str(exc):
                say(f"ERROR {exc}")
    if kept:
        kept.close()


def main(argv: list[str]) -> int:
    path, tag, threads, seconds, out = Path(argv[0]), argv[1], int(argv[2]), float(argv[3]), Path(argv[4])
    stop_at = time.monotonic() + seconds
    workers = [threading.Thread(target=thread_main, args=(path, tag, t, stop_at, out)) for t in range(threads)]
    say("ready")
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
