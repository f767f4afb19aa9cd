"""The coding audit (NHS clinical coding audit methodology): samples, blind re-coding,
comparison by the four code types, reviews and the report. See docs/architecture.md."""

from __future__ import annotations

from workbench.core.audit.audits import (
           AuditCoding,
           AuditItem,
           Audits,
           EpisodeComparison,
           SampleInfo,
)
from workbench.core.audit.compare import CODE_TYPES, KINDS, TYPE_TITLES, Difference, compare
from workbench.core.audit.report import ERROR_TYPES, TARGETS, AuditReport, level_for
from workbench.core.audit.sampling import SampleMethod, checked_method
from workbench.core.audit.store import AuditError

__all__ = ["CODE_TYPES", "ERROR_TYPES", "KINDS", "TARGETS", "TYPE_TITLES", "AuditCoding", "AuditError",
           "AuditItem", "AuditReport", "Audits", "Difference", "EpisodeComparison", "SampleInfo",
           "SampleMethod", "checked_method", "compare", "level_for"]
