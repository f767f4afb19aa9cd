"""The episode log on a PostgreSQL server: a department's one log when one machine is not enough.

Same API as the SQLite :class:`~workbench.core.episodes.EpisodeLog` (it is a subclass that
changes only how the log is reached), so every command and screen works on either. Chosen
with ``--log postgresql://...``, ``$WORKBENCH_LOG`` or the config's ``[log] path``. The driver,
psycopg 3, is an optional extra (``pip install 'workbench[postgres]'``) imported only here:
the default SQLite log never loads it.

- :mod:`.connection`: the server connection the shared SQL runs on, and its errors in words;
- :mod:`.log`: :class:`PostgresLog`;
- :mod:`.schema`: ``workbench db init --postgres URL`` (roles, tables, grants, guards);
- :mod:`.transfer`: ``workbench log copy --to URL`` (a SQLite log moved across, verified).
"""

from __future__ import annotations

from workbench.core.paths import is_server_url, redacted_url

__all__ = ["is_server_url", "redacted_url"]
