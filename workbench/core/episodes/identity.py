"""Who is coding: the operating-system login, and the labels a config may add to it.

The login of the account running the workbench is the identity recorded with every
save, amend, void, query and draft. It is read from the account database by the
process's user id (``pwd``), never from a value the coder can type or set for one
command (``--coder``, ``$WORKBENCH_CODER``, ``$USER`` or ``$LOGNAME``): on a server
where each coder logs in as themselves, it says who did the work.

The config's ``[coder] name`` (a display name, "Ann Smith") and ``[coder] id`` (a
staff or accreditation number) are labels kept beside the login, exactly as the
config gave them at the time of each save; they never replace it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Longest display name or coder id kept (a config is typed by hand).
MAX_LABEL = 80


@dataclass(frozen=True)
class Coder:
    login: str                      # the OS account: the identity
    name: str | None = None         # config [coder] name: a label
    coder_id: str | None = None     # config [coder] id: a label

    def label(self) -> str:
        """'Ann Smith (ann, C1234)', 'ann (C1234)' or 'ann'."""
        return describe(self.login, self.name, self.coder_id)

    def as_dict(self) -> dict[str, str]:
        return {"login": self.login, **({"name": self.name} if self.name else {}),
                **({"coder_id": self.coder_id} if self.coder_id else {})}


def describe(login: str, name: str | None = None, coder_id: str | None = None) -> str:
    """How a stored identity is shown: the label first when there is one, the login always."""
    inner = ", ".join(v for v in ((login if name else None), coder_id) if v)
    head = name or login
    return f"{head} ({inner})" if inner else head


def os_login() -> str:
    """The login name of the process's effective user, from the account database."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, OSError):
        # No account entry (a container started with a bare uid): the uid is still honest.
        uid = os.geteuid() if hasattr(os, "geteuid") else 0
        return f"uid-{uid}"


def current_coder(config: dict | None = None) -> Coder:
    """The identity of whoever runs this process, with the config's labels.

    A broken config (a label that is not text included) raises
    :class:`workbench.core.paths.ConfigError`, which callers report.
    """
    if config is None:
        from workbench.core.paths import load_config

        config = load_config()
    table = config.get("coder", {})
    table = table if isinstance(table, dict) else {}
    return Coder(os_login(), _label(table.get("name")), _label(table.get("id")))


def _label(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    from workbench.core.safetext import canonical

    text = " ".join(canonical(value).split())[:MAX_LABEL]
    return text if text and text.isprintable() else None


def coder_fields(coder: str | Coder) -> tuple[str, str | None, str | None]:
    """(login, display name, coder id) for storage; a plain string is a login alone."""
    if isinstance(coder, Coder):
        return coder.login, coder.name, coder.coder_id
    return coder, None, None
