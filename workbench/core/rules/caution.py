"""What a coder must be told before trusting a pack's codes: draft status and partial sources.

One wording for every place a pack is shown or used (CLI, app, log), so a partial
pack is never presented as if it were complete.
"""

from __future__ import annotations

from workbench.core.rules.model import Pack


def pack_cautions(pack: Pack) -> list[str]:
    """Plain warnings for a draft or partial pack; empty for an approved, complete one."""
    cautions: list[str] = pack.lifecycle.warnings(pack.guidance_id)
    if pack.partial:
        reason = pack.partial_reason.strip().rstrip(".") or "the source record is incomplete"
        where = f" ({pack.source_url})" if pack.source_url else ""
        cautions.append(f"PARTIAL pack: {reason}. Check the NICE guidance{where} for anything "
                        "the pack cannot ask about.")
    if pack.status != "approved":
        cautions.append("DRAFT pack: not yet approved by a coding manager; "
                        "check every code against the guidance text.")
    return cautions


def pack_flags(pack: Pack) -> dict:
    """The pack's identity and trust flags, as the CLI's JSON carries them."""
    return {"id": pack.id, "version": pack.version, "status": pack.status, "partial": pack.partial,
            "partial_reason": pack.partial_reason, "cautions": pack_cautions(pack),
            "lifecycle": pack.lifecycle.as_dict(), "scope": pack.scope.covers if pack.scope else None}


def pack_caution_line(pack: Pack) -> str:
    """The same cautions in one short line, for screens with no room for the full wording."""
    parts = []
    status = pack.lifecycle.status()
    if status:
        parts.append(f"{pack.guidance_id} {status.upper()}")
    if pack.partial:
        parts.append("PARTIAL pack: the source was incomplete, check the guidance for anything missed")
    if pack.status != "approved":
        parts.append("DRAFT: check every code")
    return " · ".join(parts)
