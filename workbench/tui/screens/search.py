"""The home screen: one search box over guidance and both classifications.

Results update as the coder types. Each search runs in an exclusive worker, so a
slow search for "l8" can never overwrite the results for "l804" that came after it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

from workbench.tui import keymap
from workbench.tui.widgets.key_bar import KeyBar
from workbench.tui.widgets.line_input import LineInput
from workbench.tui.widgets.lists import KIND_LABELS
from workbench.tui.widgets.result_rows import ResultRows

PLACEHOLDER = "Search: words, an IPG number (655) or a code (l804)"
HINT = "Type to search guidance and codes; Enter opens. F1: help."
# While an episode is being coded, Enter adds a code to it (one key); the code stays one key away.
CODING_HINT = "Enter adds the code to the episode (a category: its codes) · ctrl+o reads it · ctrl+r reviews"
LOADING = "Loading the reference database…"


# Hits asked for per search: typed text needs a screenful or two (fewer rows render
# faster on every key); the empty query browses all the guidance.
TYPED_LIMIT = 40
BROWSE_LIMIT = 200
# How long a keystroke's repaint may wait for its results. A search takes a few milliseconds,
# so the letter and its results usually reach the terminal together; a slow search (a locked
# database) delays the letter no longer than this, then the results follow on their own.
HOLD_FRAME_FOR_RESULTS = 0.05


class SearchInput(LineInput):
    BINDINGS = keymap.bindings("search")

    def watch_value(self, value: str) -> None:
        screen = self.screen
        if isinstance(screen, SearchScreen):
            screen.hold_frame()


class SearchScreen(Screen):
    AUTO_FOCUS = "#search"

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Any] = []
        self._held: Any = None             # the app's batch_update while a repaint is held
        self._hold_generation = 0
        self.shown_query = ""
        self.open_when_ready: str | None = None   # the text Enter was pressed on, results pending
        self._status_shown = HINT
        self.facts: dict[tuple[str, str], tuple[bool, int]] = {}   # (kind, code) -> (needs a 4th character, uses)
        self.expanding: str | None = None     # the category whose codes Enter asked for

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        # The box's frame belongs to a container, not to the input: a keystroke then repaints
        # the one line of text, not the frame's three (about 600 bytes less per key over SSH).
        with Container(id="search-box"):
            yield SearchInput(placeholder=PLACEHOLDER, id="search", compact=True)
        yield ResultRows(id="results")
        # Two one-line statics: the result count changes with typing, "Loaded:" hardly ever.
        yield Static(HINT, id="search-status")
        yield Static(Text(LOADING, style="dim"), id="search-loaded")
        yield KeyBar()

    # ------------------------------------------------------------ called by the app

    def reference_ready(self, loaded: Any) -> None:
        self.query_one("#search-loaded", Static).update(
            Text(f"Loaded: {loaded.describe()}", style="dim"), layout=False)
        if not getattr(self.app, "exit_on_ready", False):   # a start-up timing run exits now
            self.call_after_refresh(self._warm_search)

    @work(thread=True, group="warm-search")
    def _warm_search(self) -> None:
        """Import the search after "Loaded:" is on screen, so that the coder's first keystroke
        does not pay for it. Only the import: its word lists (about 2 MB, 10 ms) load with the
        first search, and the typo corrector (RapidFuzz, about 4 MB) when a word is misspelt."""
        import workbench.core.search  # noqa: F401

    def clear(self) -> None:
        self.query_one("#search", Input).value = ""
        self._set_hits("", [])

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    # ------------------------------------------------------------ searching

    @on(Input.Changed, "#search")
    def _changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if query != self.open_when_ready:
            # Typed on after Enter: that Enter no longer opens anything. (The change that brought
            # the box to the text Enter was pressed on can reach the screen after Enter itself
            # when a loaded machine delays a key's messages: it keeps the open pending.)
            self.open_when_ready = None
        if not query:
            self.workers.cancel_group(self, "search")
            self._set_hits("", [])
            return
        self.run_search(query)

    def hold_frame(self) -> None:
        """Keep a keystroke's repaint back until its results are ready, at most a moment.

        Textual paints the typed letter at once and the results a frame later, 17-33 ms
        apart; held, both reach the terminal in one repaint. Called by the search box when
        its text changes; released by the results, or by a timer if they are slow."""
        if self._held is not None or not self.app.context.ready.is_set():
            return   # already held, or still loading: the letter shows now
        self._hold_generation += 1
        generation = self._hold_generation
        self._held = self.app.batch_update()
        self._held.__enter__()
        # On the app, not the screen: a timer of a screen that closes would never fire.
        self.app.set_timer(HOLD_FRAME_FOR_RESULTS, lambda: self.release_frame(generation))

    def release_frame(self, generation: int | None = None) -> None:
        if generation is not None and generation != self._hold_generation:
            return   # the timer of an earlier hold
        held, self._held = self._held, None
        if held is not None:
            held.__exit__(None, None, None)
            self.check_idle()   # the held repaint goes out now, not at the next event

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, query: str) -> None:
        worker = get_current_worker()
        context = self.app.context
        while not context.ready.wait(0.05):
            if worker.is_cancelled:
                return
        if worker.is_cancelled:
            return
        from workbench.core.guidance import guidance_status
        from workbench.core.search import code_facts, search

        try:
            conn = context.reference()
            hits = search(conn, query, limit=BROWSE_LIMIT if not query.strip() else TYPED_LIMIT)
            # Replaced or withdrawn guidance says so beside its title.
            status = guidance_status(conn, [h.code for h in hits if h.kind == "guidance"])
            facts = code_facts(conn, hits)
        except Exception as exc:  # search promises not to raise; a broken DB still might
            self.app.call_from_thread(self.app.report_error, "Search failed", exc)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._set_hits, query, hits, status, facts)

    def _set_hits(self, query: str, hits: list[Any], status: dict[str, str] | None = None,
                  facts: dict[tuple[str, str], tuple[bool, int]] | None = None) -> None:
        if query and query != self.query_one("#search", Input).value.strip():
            return  # results for text the coder has already changed
        self.hits = hits
        self.shown_query = query
        self.facts = facts or {}
        results = self.query_one("#results", ResultRows)
        width = results.content_region.width or 80
        status = status or {}
        highlight = 0
        if self.expanding is not None and query == self.expanding:
            # Enter on a category: its codes follow it, most used first; the first is highlighted.
            self.expanding = None
            if len(hits) > 1 and hits[1].code.startswith(hits[0].code):
                highlight = 1
        # Loaded by then: the search has run.
        from workbench.core.classifications.catalog import compact_count

        results.set_rows([_row(hit, width, status.get(hit.code, "") if hit.kind == "guidance" else "",
                               compact_count(uses) if (uses := self.facts.get((hit.kind, hit.code), (False, 0))[1])
                               else "")
                          for hit in hits], highlight)
        self._update_status()
        # Released once the list's repaint has reached the screen (the list's queue, then the
        # screen's): the letter and its results then go out in the same frame.
        results.call_after_refresh(self.release_frame)
        if self.open_when_ready is not None and self.open_when_ready == query:
            self.open_when_ready = None
            if hits:
                self._open(0)
            self.app.typeahead.release(self)   # the keys typed after Enter: for what it opened

    def _coding(self) -> bool:
        """An episode is being coded: Enter adds codes to it."""
        return getattr(getattr(self.app, "keeper", None), "session", None) is not None

    def _update_status(self) -> None:
        if not self.shown_query:
            text = CODING_HINT if self._coding() else HINT
        elif not self.hits:
            text = f"Nothing found for '{self.shown_query}'."
        else:
            count = len(self.hits)
            text = f"{count} result{'s' if count != 1 else ''}."
        if text == self._status_shown:
            return   # unchanged: repainting it would cost a line of output per keystroke
        self._status_shown = text
        # Text, not str: the query is quoted in it, and "[/x" would be read as markup.
        self.query_one("#search-status", Static).update(Text(text), layout=False)

    # ------------------------------------------------------------ keys

    def action_move(self, step: int) -> None:
        self.query_one("#results", ResultRows).move(step)

    def action_clear(self) -> None:
        self.clear()

    def action_open_result(self) -> None:
        query = self.query_one("#search", Input).value.strip()
        if not query:
            return
        if query != self.shown_query:
            # Enter pressed before the results arrived: open the top one when they do, and keep
            # the keys typed after Enter for what it opens.
            self.open_when_ready = query
            self.app.typeahead.hold(self)
            return
        highlighted = self.query_one("#results", ResultRows).highlighted
        self._open(highlighted or 0)

    def on_result_rows_chosen(self, event: ResultRows.Chosen) -> None:
        index = self.query_one("#results", ResultRows).row_at_line(event.line)
        if index is not None:
            self._open(index)

    def action_read_result(self) -> None:
        """ctrl+o: open the highlighted code (or guidance) to read it, adding nothing."""
        highlighted = self.query_one("#results", ResultRows).highlighted
        if self.hits and self.shown_query:
            self._open(highlighted or 0, read=True)

    def _open(self, index: int, *, read: bool = False) -> None:
        if not 0 <= index < len(self.hits):
            return
        hit = self.hits[index]
        if hit.kind == "guidance":
            self.app.open_guidance(hit.code)
        elif read or not self._coding():
            self.app.open_code(hit.kind, hit.code)
        elif self.facts.get((hit.kind, hit.code), (False, 0))[0]:
            self.open_category(hit.code)
        else:
            self.app.add_code_to_episode(hit.kind, hit.code, hit.title)

    def open_category(self, code: str) -> None:
        """A category needs a 4th character: list its codes (most used first) and highlight the first."""
        self.expanding = code
        box = self.query_one("#search", Input)
        box.value = code
        box.cursor_position = len(code)


def _row(hit: Any, width: int = 80, status: str = "", uses: str = "") -> Text:
    """One line: classification, code, a guidance's REPLACED/WITHDRAWN tag, title, then how it
    matched when the whole note fits, and at the right edge how often the code is recorded
    nationally in a year (6.4M), when there is room.

    The results list neither wraps nor scrolls sideways (``text-wrap: nowrap`` and an ellipsis
    in workbench.tcss): a long title ends in "…"."""
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(f"{KIND_LABELS.get(hit.kind, hit.kind):<9}", style="bold" if hit.kind == "guidance" else "dim")
    row.append(f"{hit.code:<7} ", style="bold")
    if status:   # "replaced by IPG489 (May 2014)": the tag here, the whole of it as the note
        row.append(f"{status.split(' ', 1)[0].upper()} ", style="bold reverse")
    replacing = getattr(hit, "detail", "") == "replaces"
    if replacing:   # the number typed is an older guidance this one replaced: said before the title
        row.append(f"{hit.match_note}: ", style="bold")
    row.append(hit.title or "(no title)")
    mark = f" {uses:>5}" if uses else ""
    room = width - len(mark)
    note = status or ("" if replacing else _note(hit))
    if note and row.cell_len + 2 + len(note) <= room:
        row.append(f"  {note}", style="dim italic")
    if mark and row.cell_len > room:
        row.truncate(room, overflow="ellipsis")   # the count keeps its column; the title gives way
    if row.cell_len < room:
        # Spaces of the title's own style to the end of the line: the terminal then gets the
        # title and the blank after it in one run, not a style change per row (fewer bytes).
        row.pad_right(room - row.cell_len)
    if mark:
        row.append(mark)   # in the title's own style: no style change per row (bytes per key over SSH)
    elif row.cell_len < width:
        row.pad_right(width - row.cell_len)
    return row


def _note(hit: Any) -> str:
    """Why a row is there when its title does not say so: a corrected word, an abbreviation,
    or the code a guidance mentions."""
    note = getattr(hit, "match_note", "")
    if note:
        return note
    return hit.detail if hit.detail.startswith("mentions") else ""
