"""A log of known episodes for the audit tests: 500 by default, four coders, three specialties.

Every episode has two diagnoses and three procedures, so hand-computed accuracies are easy:
primary diagnosis and primary procedure count once per episode, secondary diagnoses once
each (1 per episode) and secondary procedures twice per episode.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from workbench.core.episodes import CodedEntry, Coding, EpisodeDetails, EpisodeLog, bulk_load

CODERS = ("ann", "bob", "cat", "dan")
SPECIALTIES = ("cardiology", "urology", "trauma and orthopaedics")
PROCEDURES = (("K57.8", "Y02.1", "Z94.2"), ("M45.9", "Y53.4", "Z94.1"), ("W37.1", "Y53.2", "Z94.3"))
DIAGNOSES = (("I50.0", "I10"), ("N40", "E11.9"), ("M16.1", "E11.9"))


def episode_codes(n: int) -> tuple[list[str], list[str]]:
    """The codes episode n (1-based) was saved with."""
    kind = n % 3
    return list(PROCEDURES[kind]), list(DIAGNOSES[kind])


def build(path: Path, count: int = 500) -> Path:
    def items():
        for n in range(1, count + 1):
            procedures, diagnoses = episode_codes(n)
            details = EpisodeDetails(patient=f"P{n:04d}", episode=f"E{n:04d}",
                                     date=dt.date(2025, 1, 1) + dt.timedelta(days=n % 300),
                                     specialty=SPECIALTIES[n % 3], sex="male" if n % 2 else "female",
                                     age=40 + n % 40)
            coding = Coding([CodedEntry(c, "opcs4", "OPCS-4.10") for c in procedures],
                            [CodedEntry(c, "icd10", "ICD-10 5th edition") for c in diagnoses])
            yield details, coding, CODERS[n % 4]

    with EpisodeLog(path) as log:
        bulk_load(log, items())
    return path
