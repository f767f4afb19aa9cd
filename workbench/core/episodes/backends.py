"""Which store a log lives in: a file path opens the SQLite log (the default, needing no
set-up); a ``postgresql://`` URL opens the department's log on a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.paths import is_server_url


def open_episode_log(target: str | Path, **options: Any) -> Any:
    """An :class:`EpisodeLog` for a path, a :class:`PostgresLog` for a server URL (the driver
    is imported only then). Options are the log's (``checkpoint_file``, ``synchronous``)."""
    if is_server_url(target):
        from workbench.core.episodes.postgres.log import PostgresLog

        return PostgresLog(str(target), **options)
    from workbench.core.episodes.log import EpisodeLog

    return EpisodeLog(target, **options)


def describe(target: str | Path) -> str:
    """The log as it may be printed: a path, or a server URL without its password."""
    if is_server_url(target):
        from workbench.core.paths import redacted_url

        return redacted_url(str(target))
    return str(target)
