"""The episode log: a durable, append-only record of coded episodes (see docs/architecture.md).

This package stores what it is given; it does not run rules or edits
(:mod:`workbench.core.episodes.coding` does that, for the CLI and the app).
"""

from __future__ import annotations

from workbench.core.episodes.backends import open_episode_log
from workbench.core.episodes.bulk import bulk_load
from workbench.core.episodes.export import CSV_FIXED_COLUMNS, export_csv, export_json
from workbench.core.episodes.identity import Coder, current_coder
from workbench.core.episodes.log import EpisodeLog
from workbench.core.episodes.model import (
    AMENDED,
    FINAL,
    STATUSES,
    VOIDED,
    BrokenEpisode,
    CodedEntry,
    Coding,
    Draft,
    EpisodeDetails,
    EpisodeNotFound,
    EpisodeSummary,
    EpisodeVersion,
    LogError,
    Override,
    VerifyReport,
)
from workbench.core.episodes.validate import (
    nhs_number_is_valid,
    normalise_nhs_number,
    parse_date,
    resolve_coder,
)

__all__ = [
    "AMENDED", "CSV_FIXED_COLUMNS", "Coder", "current_coder", "FINAL", "STATUSES", "VOIDED", "BrokenEpisode", "CodedEntry",
    "Coding", "Draft", "EpisodeDetails", "EpisodeLog", "EpisodeNotFound", "EpisodeSummary",
    "EpisodeVersion", "LogError", "Override", "VerifyReport", "bulk_load", "export_csv",
    "export_json", "nhs_number_is_valid", "normalise_nhs_number", "open_episode_log", "parse_date",
    "resolve_coder",
]
