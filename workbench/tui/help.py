"""F1 help: a short how-to per screen; the keys come from the keymap tables."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.tui import keymap


@dataclass(frozen=True)
class ScreenHelp:
    title: str
    howto: str
    areas: tuple[str, ...]          # keymap tables whose keys work on the screen


SCREENS: dict[str, ScreenHelp] = {
    "search": ScreenHelp(
        "Search",
        "Type words, an IPG number (655) or a code (l804, I50.9). Results mix guidance and "
        "codes; the first column says which. Up/down (or j/k in the list) move, Enter opens. "
        "Enter on a guidance opens its text; press c there to start coding.",
        ("search", "list", "app"),
    ),
    "guidance": ScreenHelp(
        "Guidance",
        "The guidance text with every code it mentions and its title. The rule pack status says "
        "whether the coding questions are approved, a draft or only partial. Press c to code an "
        "episode with it.",
        ("guidance", "list", "app"),
    ),
    "code": ScreenHelp(
        "Code",
        "A code with its title, classification and edition, the other codes of its category, "
        "and the guidance that mention it. Enter on a listed code or guidance opens it; a adds "
        "the highlighted code to the episode being coded (a new one if none) and goes back to "
        "the search for the next code.",
        ("code", "list", "app"),
    ),
    "wizard": ScreenHelp(
        "Coding wizard",
        "One question at a time. Press the key shown beside an option (1-9, then 0, then letters) "
        "to answer at once, or move with the arrows and press Enter. Enter alone takes the default when there is one. Multiple "
        "choice: space ticks, Enter confirms. Numbers and codes: type, then Enter. Escape goes "
        "back one question; later answers that still apply are kept. The panel shows the codes "
        "so far and why each is there. Every answer is saved as a draft. A highlighted line at "
        "the top warns when the rule pack is a draft or was built from an incomplete source: "
        "check those codes against the guidance. The pack's notes are shown under the question.",
        ("choice", "wizard", "app"),
    ),
    "review": ScreenHelp(
        "Review and save",
        "The whole episode: every code with the guidance it came from (or 'by hand') and why, "
        "the checks and the pack notes, and the episode form: patient, episode reference, date "
        "(20/11/2025, 2025-11-20, today) and, if known, the NHS number, the sex (m or f) and the "
        "age in years, which check the diagnoses' sex and age limits. Tab moves between fields; "
        "ctrl+s saves. An error from the checks needs a reason to override it. From anywhere on "
        "this screen up/down pick a code, shift+up/down move it and ctrl+x removes it (on the "
        "code list x, u and d do too); ctrl+n adds a code; ctrl+g searches for another code or "
        "guidance; Escape goes back into the highlighted code's wizard, keeping codes added by "
        "hand; ctrl+y copies the sequence.",
        ("review", "sequence", "app"),
    ),
    "worklist": ScreenHelp(
        "Worklist",
        "The uncoded consultant episodes imported from the PAS (workbench worklist import), by "
        "spell date; a spell's episodes (FCEs) are listed together (└ marks the second and later). "
        "Under the list: everything the PAS sent for the highlighted one, and its query. Enter "
        "codes it with its details filled in: search for codes (Enter, then a adds one) or "
        "guidance (c codes with its wizard), ctrl+r reviews, ctrl+s saves and comes back here; n "
        "codes the next uncoded one. q asks a clinician (to whom, the question, the day sent) and, "
        "on an item waiting, records the reply; o marks the query resolved; r takes an item off the "
        "list with a reason. f filters by specialty, date (14/11/2025, from 1/11/2025 to 30/11/2025), "
        "status (open, query, coded, removed, all) or waiting 7d (queries sent a week ago or more). "
        "The list follows other windows: a save, import or query anywhere shows within a second.",
        ("worklist", "app"),
    ),
    "drafts": ScreenHelp(
        "Drafts",
        "Every unfinished episode, with the details typed so far. Enter resumes one; d throws "
        "it away after asking once (y).",
        ("drafts", "app"),
    ),
    "log": ScreenHelp(
        "Episode log",
        "Saved episodes, latest version of each. f filters (patient, episode, code, guidance, "
        "status, or dates written as anywhere else: 14/11/2025, 2025-11, from 10/11/2025 to "
        "15/11/2025). Enter shows an episode's history, where a amends, v voids (its worklist item "
        "opens again) and ctrl+y copies the highlighted version's codes. e exports the episodes the "
        "filter shows (every episode when the filter is empty), with discharge date, consultant, "
        "specialty, coder and FCE number. The list follows other windows within a second.",
        ("log", "app"),
    ),
    "audit": ScreenHelp(
        "Coding audit",
        "Samples of saved episodes drawn for a clinical coding audit (NHS method). n draws one: the "
        "size, then any of from DATE, to DATE, coder LOGIN, specialty NAME, guidance IPGn, seed N, "
        "stratify specialty|coder. The same seed on the same log draws the same sample. Enter opens a "
        "sample.",
        ("audit", "app"),
    ),
    "audit_sample": ScreenHelp(
        "Audit sample",
        "The sampled episodes as the case notes describe them: never their codes, coder or checks "
        "until you have saved your own coding. Enter codes one blind in the normal screens (search, "
        "wizards, review with every check); ctrl+s saves it to the audit (the log's episode does not "
        "change) and shows it beside the original. r shows the sample's report.",
        ("audit_sample", "app"),
    ),
    "audit_compare": ScreenHelp(
        "Audit comparison",
        "The original coding and yours, and each difference by code type: primary diagnosis and "
        "procedure by position, secondary codes as sets, sequencing counted once against the primary. "
        "Give each difference an error type (1 coder error, 2 documentation, 3 other), agreement "
        "(a or d) and a note (n).",
        ("audit_compare", "app"),
    ),
    "audit_report": ScreenHelp(
        "Audit report",
        "Accuracy per code type against the attainment levels (Level 2: 90% primary diagnosis, 80% "
        "secondary diagnosis, 90% primary procedure, 80% secondary procedure; Level 3: 95/90/95/90), "
        "by coder and specialty, and every difference. h writes one HTML document (prints on A4), c a CSV.",
        ("audit_report", "app"),
    ),
    "stats": ScreenHelp(
        "Manager: productivity",
        "Episodes coded, amended and voided, minutes per episode from draft start to save (median and "
        "90th percentile), queries raised and still waiting, guidance used and checks overridden, over "
        "the last 30 days by coder. f changes the period and grouping: from 1/1/2025 to 31/3/2025 by "
        "day (or by specialty, by none).",
        ("stats", "app"),
    ),
    "history": ScreenHelp(
        "Episode history",
        "Every saved version of the episode, newest last. Amending opens the wizard (or the "
        "review) with its answers; voiding needs a reason. Nothing is ever deleted. ctrl+y copies "
        "the highlighted version's codes in the PAS's format.",
        ("history", "app"),
    ),
}


def keys_for(areas: tuple[str, ...], user_keys: dict[str, str]) -> list[tuple[str, str]]:
    """(key, what it does) rows for the help table."""
    rows: list[tuple[str, str]] = []
    for area in areas:
        for key in keymap.TABLES[area]:
            row = (keymap.shown_key(key, user_keys), key.tooltip)
            if row not in rows:   # the ten digit keys share one row
                rows.append(row)
    return rows


def markdown(name: str, user_keys: dict[str, str]) -> str:
    """The help for one screen as Markdown (also used to write docs/keys.md)."""
    screen = SCREENS[name]
    lines = [f"## {screen.title}", "", screen.howto, "", "| key | does |", "|---|---|"]
    lines += [f"| `{key}` | {does} |" for key, does in keys_for(screen.areas, user_keys)]
    if name == "review":
        lines += ["", *checks_help()]
    return "\n".join(lines) + "\n"


def checks_help() -> list[str]:
    """The validation edits the review runs, each with its source (also `workbench check`)."""
    from workbench.core.rules.conventions import CONVENTIONS, SOURCES
    from workbench.core.rules.episode_conventions import EPISODE_CONVENTIONS, EPISODE_SOURCES

    lines = ["### The checks", "",
             "With a guidance, the sequence must be one its rule pack gives: a missing, extra, "
             "exclusive or out-of-order code is named with the pack's rule (file:line) and what "
             "the pack would give. Always:", ""]
    lines += [f"- `{edit_id}`: {text}" for edit_id, text in CONVENTIONS]
    lines += ["", "The episode conventions, on every episode with or without guidance (tables in "
                  "fixtures/conventions/; an imported release's metadata refines them):", ""]
    lines += [f"- `{edit_id}`: {text}" for edit_id, text in EPISODE_CONVENTIONS]
    lines += ["", "Sources:", ""] + [f"- [{key}] {text}" for key, text in SOURCES + EPISODE_SOURCES]
    return lines


def keys_document() -> str:
    """docs/keys.md: every key a coder needs on one screen (default keys)."""
    lines = [
        "# Keys",
        "",
        "Everything works from the keyboard. The footer shows the keys of the current screen;",
        "F1 explains them. Keys can be remapped in the config file's `[keys]` table by id,",
        "e.g. `\"review.save\" = \"ctrl+s,f2\"` (ids are in `workbench/tui/keymap.py`).",
        "",
        "Coding an episode, e.g. IPG655: type `655`, Enter, `c`, answer each question with its",
        "key, then type the patient, Tab, the episode reference, Tab, the date, ctrl+s.",
        "From the worklist: Enter, then the same from the search; the details are filled in.",
        "Without guidance: type a code or words, Enter, `a` adds it; ctrl+r reviews; ctrl+s saves.",
        "",
        "| screen | keys |",
        "|---|---|",
    ]
    for screen in SCREENS.values():
        areas = tuple(a for a in screen.areas if a != "app")
        cells = [f"`{key}` {_short(does)}" for key, does in keys_for(areas, {})]
        lines.append(f"| {screen.title} | {' · '.join(cells)} |")
    everywhere = [f"`{key}` {_short(does)}" for key, does in keys_for(("app",), {})]
    lines.append(f"| Everywhere | {' · '.join(everywhere)} |")
    lines += ["", "Never ctrl+enter (tmux drops it). `NO_COLOR=1` and `--theme textual-ansi` suit",
              "terminals without true colour."]
    return "\n".join(lines) + "\n"


def _short(text: str) -> str:
    """The first clause of a tooltip, for the one-screen table."""
    return text.split(";")[0].split(" (")[0].lower()
