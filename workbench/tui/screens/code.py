"""One code: title, classification and edition, its category and siblings, guidance mentioning it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.key_bar import KeyBar
from workbench.tui.widgets.lists import KIND_LABELS, KeyList


@dataclass(frozen=True)
class CodeView:
    info: Any | None                   # core CodeInfo, None when the code is unknown
    category: Any | None               # the CodeInfo of its category
    siblings: list[Any]                # CodeInfo of the category's codes, the most recorded first
    guidance: list[Any]                # core Guidance mentioning it
    usage: str = ""                    # "recorded 6.4 million times in 2023/24" (national counts)


class CodeScreen(WorkbenchScreen):
    HELP_NAME = "code"
    BINDINGS = keymap.bindings("code")

    def __init__(self, classification: str, code: str, on_add: Any = None):
        super().__init__()
        self.classification = classification
        self.code = code
        self.view: CodeView | None = None
        # Opened from the add-a-code dialog: `a` gives the code back to it instead of to the app.
        self.on_add = on_add

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(Text(f"{KIND_LABELS.get(self.classification, '')} {self.code}: loading…"),
                     id="code-head")
        with Vertical(id="code-body"):
            with Vertical(id="code-main"):
                yield Static("Category and its codes", classes="section")
                yield KeyList(id="code-list")
            with Vertical(id="code-side"):
                yield Static("Guidance that mention it", classes="section")
                yield KeyList(id="code-guidance")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#code-list").focus()
        self.app.typeahead.hold(self)   # "a" typed ahead adds the code once it is shown
        self.load()

    @work(thread=True, exclusive=True, group="code")
    def load(self) -> None:
        try:
            self._load()
        finally:
            self.app.call_from_thread(self.app.typeahead.release, self)

    def _load(self) -> None:
        context = self.app.context
        context.ready.wait()
        try:
            from workbench.core.classifications import parse_code
            from workbench.core.guidance import guidance_mentioning

            catalog = context.catalog()
            info = catalog.lookup(self.classification, self.code)
            category = siblings = None
            usage = ""
            if info is not None:
                head = info.code if info.is_category else (info.parent or info.code[:3])
                category = catalog.lookup(self.classification, head)
                # The 4th character a coder most likely wants first: by national use, then code order.
                siblings = sorted(catalog.children(self.classification, head),
                                  key=lambda c: -catalog.recent_uses(self.classification, c.code))
                counts = catalog.usage(self.classification, info.code)
                usage = counts.phrase() if counts is not None else ""
            ref = parse_code(self.code, self.classification)
            mentioning = guidance_mentioning(context.reference(), ref)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The code could not be opened", exc)
            return
        self.app.call_from_thread(self.show, CodeView(info, category, siblings or [], mentioning, usage))

    @if_attached
    def show(self, view: CodeView) -> None:
        self.view = view
        label = KIND_LABELS.get(self.classification, self.classification)
        info = view.info
        if info is None:
            head = Text(f"{label} {self.code} is not in the loaded classification.", style="bold")
        else:
            head = Text()
            head.append(f"{label} {info.code}  ", style="bold")
            head.append(info.title)
            head.append(f"\n{info.edition} · chapter {info.chapter}", style="dim")
            from workbench.core.classifications.catalog import recorded_years, stale_note

            if view.usage:   # where the coder decides: how common the code is nationally
                head.append(f"\nEngland: {view.usage}", style="dim")
            if recorded_years(info):
                head.append(f" · {recorded_years(info)}", style="dim")
            if stale_note(info):
                head.append(f"\nRetired or rare: {stale_note(info)}.", style="bold")
            if info.needs_fourth_character:
                head.append("\nA category: choose one of its codes with a 4th character.", style="bold")
        self.query_one("#code-head", Static).update(head)
        rows = self.code_rows()
        self.query_one("#code-list", OptionList).set_options(
            Option(Text.assemble(("▸ " if c.code == self.code else "  ", "bold"), (f"{c.code:<7} ", "bold"), c.title))
            for c in rows
        )
        current = next((i for i, c in enumerate(rows) if c.code == self.code), None)
        if current is not None:
            self.query_one("#code-list", OptionList).highlighted = current
        guidance = self.query_one("#code-guidance", OptionList)
        guidance.set_options(Option(Text.assemble((f"{g.id:<8} ", "bold"), g.title)) for g in view.guidance)
        if not view.guidance:
            guidance.add_option(Option(Text("No guidance mentions this code.", style="dim"), disabled=True))

    def code_rows(self) -> list[Any]:
        if self.view is None:
            return []
        rows = [self.view.category] if self.view.category else []
        return rows + [s for s in self.view.siblings if not rows or s.code != rows[0].code]

    @on(OptionList.OptionSelected, "#code-list")
    def _open_code(self, event: OptionList.OptionSelected) -> None:
        rows = self.code_rows()
        if 0 <= event.option_index < len(rows) and rows[event.option_index].code != self.code:
            self.app.open_code(self.classification, rows[event.option_index].code)

    def action_add_to_episode(self) -> None:
        """`a`: the highlighted code of the list (this code at first) goes into the episode."""
        if self.view is None:
            self.notify("The code is still loading.", severity="warning")
            return
        rows = self.code_rows()
        highlighted = self.query_one("#code-list", OptionList).highlighted
        info = rows[highlighted] if highlighted is not None and 0 <= highlighted < len(rows) else self.view.info
        if info is None:
            self.notify(f"{self.code} is not in the loaded classification; it cannot be added.", severity="error")
            return
        if getattr(info, "needs_fourth_character", False):
            self.notify(f"{info.code} is a category: highlight one of its codes, then press a.", severity="warning")
            return
        if self.on_add is not None:
            self.app.pop_screen()
            self.on_add(self.classification, info.code, info.title)
            return
        self.app.add_code_to_episode(self.classification, info.code, info.title)

    @on(OptionList.OptionSelected, "#code-guidance")
    def _open_guidance(self, event: OptionList.OptionSelected) -> None:
        if self.view and 0 <= event.option_index < len(self.view.guidance):
            self.app.open_guidance(self.view.guidance[event.option_index].id)
