"""Every key the app binds, as data.

Each key has a stable id (``area.action``) so a coder can remap it in the config file::

    [keys]
    "wizard.back" = "backspace"
    "review.save" = "ctrl+s,f2"

The footer, the F1 help and ``docs/keys.md`` are all built from these tables, so
they can never disagree with what the keys really do.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from workbench.core.option_keys import KEY_SEQUENCE


@dataclass(frozen=True)
class Key:
    id: str
    key: str
    action: str
    description: str
    tooltip: str
    show: bool = True
    priority: bool = False
    key_display: str | None = None

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.description, show=self.show,
                       key_display=self.key_display, priority=self.priority,
                       tooltip=self.tooltip, id=self.id)


# Keys that work on every screen, from every field and dialog: priority keys, taken before the
# focused widget sees them (and in order with the keys typed before them: the app hands keys
# over one at a time, workbench/tui/typeahead.py). `/` is typed, not taken, in a box where a
# slash is text (a date, a filter, a reason): WorkbenchApp.check_action asks the box.
APP = [
    Key("app.help", "f1", "help", "Help", "Keys and a short how-to for this screen", priority=True),
    Key("app.search", "slash", "go_search", "Search",
        "Go to the search box from anywhere (in a date or free-text box, / is typed)",
        key_display="/", priority=True),
    Key("app.log", "ctrl+l", "open_log", "Log", "Browse the saved episodes", priority=True),
    Key("app.palette", "ctrl+p", "command_palette", "Commands",
        "Every command of this screen and the app's (search, log, worklist, drafts, theme, quit)",
        show=False, priority=True),
    Key("app.episode", "ctrl+r", "current_episode", "Episode",
        "Back to the episode being coded (its review, or the open wizard)", show=False, priority=True),
    Key("app.copy", "ctrl+y", "copy_sequence", "Copy codes",
        "Copy the episode's codes (being coded, or the version a history shows) to the clipboard "
        "(OSC 52) in the PAS's format ([copy] in the config; default procedures then diagnoses, "
        "space-separated, dots and marks kept)", show=False, priority=True),
    Key("app.worklist", "f2", "open_worklist", "Worklist", "The worklist of uncoded episodes", show=False,
        priority=True),
    Key("app.drafts", "f3", "open_drafts", "Drafts", "Every unfinished episode: resume or discard",
        show=False, priority=True),
    Key("app.audit", "f4", "open_audit", "Audit", "The coding audit: samples, blind re-coding, reports",
        show=False, priority=True),
    Key("app.stats", "f5", "open_stats", "Manager", "Productivity figures: coded, time per episode, queries",
        show=False, priority=True),
    Key("app.quit", "ctrl+q", "quit", "Quit", "Quit; an unfinished coding is kept as a draft",
        priority=True),
]

SEARCH = [
    Key("search.open", "enter", "screen.open_result", "Open/add",
        "Open the highlighted result; while coding an episode, add a code to it (a category: its codes)"),
    Key("search.read", "ctrl+o", "screen.read_result", "Read",
        "Open the highlighted code to read it (its category, notes, guidance) without adding it"),
    Key("search.down", "down", "screen.move(1)", "Next", "Highlight the next result", show=False),
    Key("search.up", "up", "screen.move(-1)", "Previous", "Highlight the previous result", show=False),
    Key("search.clear", "escape", "screen.clear", "Clear", "Clear the search box", show=False),
]

# j/k on lists (not in text boxes, where they are letters).
LIST = [
    Key("list.down", "j", "cursor_down", "Down", "Move down", show=False),
    Key("list.up", "k", "cursor_up", "Up", "Move up", show=False),
]

GUIDANCE = [
    Key("guidance.code", "c", "start_coding", "Code it", "Start coding an episode with this guidance"),
    Key("guidance.back", "escape", "back", "Back", "Back to the search"),
]

CODE = [
    Key("code.add", "a", "add_to_episode", "Add to episode", "Add this code to the episode being coded"),
    Key("code.back", "escape", "back", "Back", "Back to the previous screen"),
]

WIZARD = [
    Key("wizard.back", "escape", "back", "Back", "Back one question; later answers that still apply are kept"),
]

# Keys of the option list inside the wizard: each option's key answers at once.
# 1-9, then 0 for the tenth, then letters (j and k move in lists, so they are skipped); answers that
# mean the same in every pack keep one key everywhere (workbench.core.option_keys).
OPTION_KEYS = KEY_SEQUENCE

CHOICE = [
    Key(f"choice.{key}", key, f"pick({index})", "Answer",
        "Press the key shown beside an option to answer", show=index == 0, key_display="1-9 0 a…")
    for index, key in enumerate(OPTION_KEYS)
] + [
    Key("choice.toggle", "space", "toggle", "Tick", "Tick or untick the option (multiple choice)",
        show=False),
    Key("choice.confirm", "enter", "confirm", "OK", "Take the highlighted option, the ticked ones or the default"),
]

REVIEW = [
    # Not priority keys: they must run after the characters typed before them.
    Key("review.save", "ctrl+s", "save", "Save", "Save the episode to the log"),
    Key("review.add", "ctrl+n", "add_code", "Add code",
        "Add a code to the highlighted list (procedures OPCS-4, diagnoses ICD-10), found by search"),
    Key("review.back", "escape", "back", "Wizard", "Back into the wizard of the highlighted code's guidance"),
    Key("review.find", "ctrl+g", "find", "Find", "Search for another code or guidance for this episode"),
    Key("review.focus_codes", "ctrl+o", "focus_codes", "Codes", "Move to the code list", show=False),
    # These work from the form fields too: no focus switch is needed to edit the sequence.
    Key("review.pick_down", "down", "pick_code(1)", "Next code", "Highlight the next code", show=False),
    Key("review.pick_up", "up", "pick_code(-1)", "Previous code", "Highlight the previous code", show=False),
    Key("review.remove", "ctrl+x", "remove_code", "Remove", "Remove the highlighted code (from any field)",
        show=False, priority=True),
    Key("review.move_up", "shift+up", "move_code(-1)", "Move up", "Move the highlighted code up", show=False),
    Key("review.move_down", "shift+down", "move_code(1)", "Move down", "Move the highlighted code down",
        show=False),
]

SEQUENCE = [
    Key("sequence.remove", "delete,x", "screen.remove_code", "Remove", "Remove the highlighted code"),
    Key("sequence.up", "u", "screen.move_code(-1)", "Move up", "Move the highlighted code up"),
    Key("sequence.down", "d", "screen.move_code(1)", "Move down", "Move the highlighted code down"),
]

LOG = [
    Key("log.open", "enter", "open_episode", "History", "Show the highlighted episode's history"),
    Key("log.filter", "f", "focus_filter", "Filter",
        "Filter by patient, episode, code, guidance, status or date (14/11/2025, from 1/11/2025 to 15/11/2025)"),
    Key("log.export", "e", "export", "Export", "Export the episodes the filter shows (all when it is empty)"),
    Key("log.back", "escape", "back", "Back", "Back to the search"),
]

HISTORY = [
    Key("history.amend", "a", "amend", "Amend", "Amend this episode (back into the wizard or review)"),
    Key("history.void", "v", "void", "Void", "Void this episode, giving a reason"),
    Key("history.back", "escape", "back", "Back", "Back to the log"),
]

DRAFT = [
    Key("draft.resume", "enter", "resume", "Resume", "Resume the unfinished coding"),
    Key("draft.discard", "d", "discard", "Discard", "Throw the draft away"),
    Key("draft.list", "o", "list", "All drafts", "List every unfinished episode"),
    Key("draft.later", "escape", "later", "Later", "Keep the draft and carry on"),
]

DRAFTS = [
    Key("drafts.resume", "enter", "resume", "Resume", "Resume the highlighted unfinished episode"),
    Key("drafts.discard", "d", "discard", "Discard", "Throw the highlighted draft away"),
    Key("drafts.back", "escape", "back", "Back", "Back to where you were"),
]

WORKLIST = [
    Key("worklist.code", "enter", "code_item", "Code", "Code the highlighted episode (its details filled in)"),
    Key("worklist.next", "n", "next_item", "Next", "Code the next uncoded episode"),
    Key("worklist.query", "q", "query_item", "Query",
        "Ask a clinician (to whom, the question, the day sent); on an item waiting, record the reply"),
    Key("worklist.resolve", "o", "resolve_query", "Resolved",
        "The query is settled: the episode is open to code again", show=False),
    Key("worklist.remove", "r", "remove_item", "Remove",
        "Take the episode off the worklist, giving the reason (kept in its history)", show=False),
    Key("worklist.claim", "c", "claim_item", "Claim",
        "Claim the episode so no one else codes it (again: let it go); Enter claims it too"),
    Key("worklist.filter", "f", "focus_filter", "Filter",
        "Filter by specialty, date (from 1/11/2025), status (open, query, coded, removed, all) "
        "or queries waiting (waiting 7d)"),
    Key("worklist.back", "escape", "back", "Back", "Back to the search"),
]

AUDIT = [
    Key("audit.open", "enter", "open_sample", "Open", "Open the highlighted sample"),
    Key("audit.new", "n", "new_sample", "New sample", "Draw a new reproducible sample of saved episodes"),
    Key("audit.back", "escape", "back", "Back", "Back to where you were"),
]

AUDIT_SAMPLE = [
    Key("audit_sample.code", "enter", "code_item", "Code blind",
        "Code the highlighted episode blind (or show an audited one beside its original)"),
    Key("audit_sample.report", "r", "report", "Report", "The sample's accuracy report"),
    Key("audit_sample.back", "escape", "back", "Back", "Back to the samples"),
]

AUDIT_COMPARE = [
    Key("audit_compare.coder", "1", "error_type('coder')", "Coder error", "The difference is a coder error"),
    Key("audit_compare.documentation", "2", "error_type('documentation')", "Documentation",
        "The difference comes from the documentation"),
    Key("audit_compare.other", "3", "error_type('other')", "Other", "Another cause"),
    Key("audit_compare.agree", "a", "agree(True)", "Agree", "The difference is agreed"),
    Key("audit_compare.disagree", "d", "agree(False)", "Disagree", "The difference is not agreed"),
    Key("audit_compare.note", "n", "note", "Note", "A note on the highlighted difference"),
    Key("audit_compare.back", "escape", "back", "Back", "Back to the sample"),
]

AUDIT_REPORT = [
    Key("audit_report.html", "h", "export('html')", "HTML", "Write the report as one HTML document (A4)"),
    Key("audit_report.csv", "c", "export('csv')", "CSV", "Write the report as CSV"),
    Key("audit_report.back", "escape", "back", "Back", "Back to the sample"),
]

STATS = [
    Key("stats.filter", "f", "focus_filter", "Period", "Choose the period and grouping: from D to D by coder"),
    Key("stats.back", "escape", "back", "Back", "Back to where you were"),
]

MODAL = [
    Key("modal.cancel", "escape", "cancel", "Cancel", "Close without doing anything"),
]

CONFIRM = [
    Key("confirm.yes", "y", "yes", "Yes", "Yes, do it"),
    Key("confirm.no", "n,escape", "no", "No", "No, leave it as it is"),
]

ADD_CODE = [
    Key("add.switch", "tab", "switch_list", "Other list",
        "Add to the other list instead (procedures OPCS-4 / diagnoses ICD-10)", priority=True),
    Key("add.read", "ctrl+o", "read", "Read", "Open the highlighted code to read it without adding it"),
]

HELP = [
    Key("help.close", "escape,f1", "close", "Close", "Close the help"),
]

TABLES: dict[str, list[Key]] = {
    "app": APP, "search": SEARCH, "list": LIST, "guidance": GUIDANCE, "code": CODE,
    "wizard": WIZARD, "choice": CHOICE, "review": REVIEW, "sequence": SEQUENCE, "log": LOG,
    "history": HISTORY, "draft": DRAFT, "drafts": DRAFTS, "worklist": WORKLIST, "audit": AUDIT,
    "audit_sample": AUDIT_SAMPLE, "audit_compare": AUDIT_COMPARE, "audit_report": AUDIT_REPORT,
    "stats": STATS, "modal": MODAL, "confirm": CONFIRM, "add_code": ADD_CODE, "help": HELP,
}


def bindings(*areas: str) -> list[Binding]:
    return [key.binding() for area in areas for key in TABLES[area]]


def all_keys() -> list[Key]:
    return [key for table in TABLES.values() for key in table]


def user_keymap(config: dict) -> tuple[dict[str, str], list[str]]:
    """The ``[keys]`` table of the config as a Textual keymap, and problems found in it."""
    table = config.get("keys", {})
    if not isinstance(table, dict):
        return {}, ["[keys] in the config file must be a table of binding id = key"]
    known = {key.id for key in all_keys()}
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in table.items():
        if binding_id not in known:
            problems.append(f"unknown key id '{binding_id}' in [keys]")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"[keys] {binding_id} must be a key name such as \"ctrl+s\"")
        else:
            keymap[binding_id] = value.strip()
    return keymap, problems


def shown_key(key: Key, keymap: dict[str, str]) -> str:
    """How a key is written in the help: the remapped key when there is one."""
    if key.id in keymap:
        return keymap[key.id]
    return key.key_display or key.key.replace("slash", "/")
