"""Synthetic episode logs at scale, built with the log's own bulk loader.

Deterministic (seeded): patients ~ one per five episodes, dates over ten years,
1-4 procedure codes and 1-2 diagnoses per episode drawn from realistic lists.
Two shapes: ``rising`` (the default, as a real log: start dates rise with the episode
id, a few days' jitter) and ``random`` (dates unrelated to save order).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

PROCEDURES = ["L80.4", "L80.2", "L80.3", "K57.8", "Y02.1", "Y53.4", "Y53.9", "Z33.6", "Z94.2",
              "L76.1", "L76.2", "L89.1", "K75.1", "K75.2", "W37.1", "W38.1", "H22.1", "A01.1"]
DIAGNOSES = ["I50.0", "I50.9", "I70.2", "I21.9", "E11.9", "J44.9", "N18.5", "C34.9"]
FIRST_DAY = dt.date(2015, 1, 1)
DAYS = 3650
CODER = "bench.coder"


def patient_id(n: int) -> str:
    return f"P{n:07d}"


SHAPES = ("rising", "random")


def episodes(count: int, seed: int = 4, shape: str = "rising") -> Iterator[tuple]:
    from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails

    rng = random.Random(seed)
    patients = max(1, count // 5)
    for n in range(count):
        procs = rng.sample(PROCEDURES, rng.randint(1, 4))
        diags = rng.sample(DIAGNOSES, rng.randint(1, 2))
        if shape == "rising":   # coded a few days after the episode, in roughly date order
            day = max(0, min(DAYS - 1, n * DAYS // max(count, 1) - rng.randrange(5)))
        else:
            day = rng.randrange(DAYS)
        details = EpisodeDetails(patient=patient_id(rng.randrange(patients)), episode=f"E{n}",
                                 date=FIRST_DAY + dt.timedelta(days=day))
        coding = Coding([CodedEntry(c, "opcs4", "OPCS-4.10") for c in procs],
                        [CodedEntry(c, "icd10", "ICD-10 WHO 2019") for c in diags])
        yield details, coding, CODER


def build_log(path: Path, count: int, shape: str = "rising") -> float:
    """A log of ``count`` episodes at ``path``; returns the seconds the bulk load took."""
    import time

    from workbench.core.episodes import EpisodeLog, bulk_load

    path.parent.mkdir(parents=True, exist_ok=True)
    with EpisodeLog(path) as log:
        started = time.perf_counter()
        loaded = bulk_load(log, episodes(count, shape=shape), saved_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        seconds = time.perf_counter() - started
        log.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if loaded != count:
        raise RuntimeError(f"bulk_load added {loaded} episodes, not {count}")
    return seconds


#: A department: coders (OS logins) and specialties for the audit and productivity figures.
CODERS = tuple(f"coder{n:02d}" for n in range(1, 24))
SPECIALTIES = ("cardiology", "general surgery", "trauma and orthopaedics", "urology", "gastroenterology",
               "ophthalmology", "ENT", "gynaecology", "respiratory", "vascular surgery", "general medicine",
               "oncology")


def department_episodes(count: int, seed: int = 4) -> Iterator[tuple]:
    """:func:`episodes` (rising dates) as a department codes them: each with a specialty, one of
    23 coders, saved a day or two after the episode's start (save times rise with the episode
    id, as a real log's do) after 3 to 40 minutes of coding (the draft's start). Items are
    ``bulk_load``'s five-tuples."""
    import dataclasses

    rng = random.Random(seed + 1)
    start = dt.datetime.combine(FIRST_DAY, dt.time(9), tzinfo=dt.UTC)
    span = dt.timedelta(days=DAYS).total_seconds()
    for n, (details, coding, _coder) in enumerate(episodes(count, seed)):
        saved = start + dt.timedelta(days=2, seconds=n * span / max(count, 1))
        begun = saved - dt.timedelta(seconds=rng.randint(180, 2400))
        details = dataclasses.replace(details, specialty=SPECIALTIES[n * 7 % len(SPECIALTIES)])
        yield details, coding, CODERS[n % len(CODERS)], saved, begun


def build_department_log(path: Path, count: int) -> float:
    """A log of ``count`` department episodes at ``path``; returns the seconds the load took."""
    import time

    from workbench.core.episodes import EpisodeLog, bulk_load

    path.parent.mkdir(parents=True, exist_ok=True)
    with EpisodeLog(path) as log:
        started = time.perf_counter()
        loaded = bulk_load(log, department_episodes(count))
        seconds = time.perf_counter() - started
        log.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if loaded != count:
        raise RuntimeError(f"bulk_load added {loaded} episodes, not {count}")
    return seconds
