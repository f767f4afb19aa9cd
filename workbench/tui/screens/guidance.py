"""One guidance: its text, the codes it mentions with their titles, its rule pack's status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.guidance_text import GuidanceText
from workbench.tui.widgets.key_bar import KeyBar
from workbench.tui.widgets.lists import KIND_LABELS, KeyList


@dataclass(frozen=True)
class GuidanceView:
    guidance: Any                       # core Guidance
    codes: list[tuple[str, str, str]]   # (classification, code, title)
    pack: Any | None                    # core Pack, or None when there is no rule pack
    pack_problem: str = ""
    population: str = ""                # the guidance is not for the current episode's patient: why


def guidance_facts(view: GuidanceView) -> str:
    """Supersession and SNOMED CT concepts, said before the pack's status ('' when neither)."""
    guidance = view.guidance
    lines = list(guidance.lifecycle.sentences(guidance.id))
    lines += [f"SNOMED CT {c.get('type', 'concept')}: {c.get('term', '')} ({c.get('concept_id', '')})"
              for c in guidance.snomed_ct]
    return "\n".join(lines)


def pack_status(view: GuidanceView) -> str:
    """The rule pack's status said plainly."""
    facts = guidance_facts(view)
    facts = facts + "\n" if facts else ""
    if view.pack is None:
        extra = f" ({view.pack_problem})" if view.pack_problem else ""
        return f"{facts}No rule pack{extra}: press c to build the codes by hand in the review."
    from workbench.core.rules import pack_cautions

    pack = view.pack
    text = f"{facts}Rule pack {pack.id} v{pack.version}: {pack.status}."
    for caution in pack_cautions(pack):
        if caution in facts:
            continue   # the supersession is said once, above
        text += f" {caution}"
    if view.population:
        text += f" CAUTION: {view.population}"
    return text + " Press c to code an episode."


# Where a guidance's coding advice starts, in the ways NICE pages and our summaries write it.
CODING_SECTION = re.compile(r"coding recommendation|OPCS-?4[.\d]*\s*code|procedure codes?\b|ICD-?10 code",
                            re.IGNORECASE)


def coding_section_line(text: str) -> str | None:
    """The first line of the coding section, to scroll to; None when the text has none."""
    for line in text.splitlines():
        if line.strip() and CODING_SECTION.search(line):
            return line.strip()
    return None


class GuidanceScreen(WorkbenchScreen):
    HELP_NAME = "guidance"
    BINDINGS = keymap.bindings("guidance")

    def __init__(self, guidance_id: str):
        super().__init__()
        self.guidance_id = guidance_id
        self.view: GuidanceView | None = None
        self.start_when_loaded = False

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(f"{self.guidance_id}: loading…", id="guidance-title", classes="title")
        yield Static("", id="guidance-source")
        with Vertical(id="guidance-body"):
            with VerticalScroll(id="guidance-text"):
                yield GuidanceText(id="guidance-markdown")
            with Vertical(id="guidance-side"):
                yield Static("", id="pack-status")
                yield Static("Codes in the guidance", classes="section")
                yield KeyList(id="guidance-codes")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#guidance-text").focus()
        self.app.typeahead.hold(self)   # "c" typed ahead acts on the guidance once it is shown
        self.load()

    @work(thread=True, exclusive=True, group="guidance")
    def load(self) -> None:
        try:
            self._load()
        finally:
            self.app.call_from_thread(self.app.typeahead.release, self)

    def _load(self) -> None:
        context = self.app.context
        context.ready.wait()
        try:
            from workbench.core.guidance import get_guidance

            guidance = get_guidance(context.reference(), self.guidance_id)
            if guidance is None:
                self.app.call_from_thread(self.app.notify, f"No guidance called {self.guidance_id}",
                                          severity="error")
                return
            catalog = context.catalog()
            codes = [(ref.classification, ref.code, catalog.title(ref.classification, ref.code) or "")
                     for ref in guidance.codes]
            pack, problem = _find_pack(guidance.id)
            population = _population(self.app.keeper.session, pack)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The guidance could not be opened", exc)
            return
        self.app.call_from_thread(self.show, GuidanceView(guidance, codes, pack, problem, population))

    @if_attached
    def show(self, view: GuidanceView) -> None:
        self.view = view
        guidance = view.guidance
        self.query_one("#guidance-title", Static).update(Text(f"{guidance.id}: {guidance.title}"))
        source = Text("Source: ", style="bold")
        source.append(guidance.source_url or "not recorded")
        self.query_one("#guidance-source", Static).update(source)
        self.query_one("#guidance-markdown", GuidanceText).show(guidance.text)
        self.call_after_refresh(self._scroll_to_coding, guidance.text)
        self.query_one("#pack-status", Static).update(Text(pack_status(view)))
        codes = self.query_one("#guidance-codes", OptionList)
        codes.set_options(
            Option(Text.assemble((f"{KIND_LABELS.get(c, c):<7}", "dim"), (f"{code:<7} ", "bold"),
                                 title or "(not in the loaded classification)"))
            for c, code, title in view.codes
        )
        if self.start_when_loaded:
            self.start_when_loaded = False
            self.action_start_coding()

    def _scroll_to_coding(self, text: str) -> None:
        """Open at the coding advice: that is what the coder came for; the rest is above."""
        line = coding_section_line(text)
        if line is None:
            return
        scroll = self.query_one("#guidance-text")
        width = scroll.scrollable_content_region.width
        y = self.query_one("#guidance-markdown", GuidanceText).line_of(line, width, self.app.console)
        if y:
            scroll.scroll_to(y=y, animate=False)

    @on(OptionList.OptionSelected, "#guidance-codes")
    def _open_code(self, event: OptionList.OptionSelected) -> None:
        if self.view:
            classification, code, _ = self.view.codes[event.option_index]
            self.app.open_code(classification, code)

    def action_start_coding(self) -> None:
        if self.view is None:
            self.start_when_loaded = True   # "c" typed ahead: start as soon as it loads
            return
        from workbench.tui.screens.wizard import start_coding

        start_coding(self.app, self.view.guidance.id, self.view.pack)


def _population(session: Any | None, pack: Any | None) -> str:
    """The current episode's patient is outside the guidance's population: the caution ('' if not)."""
    if session is None or pack is None:
        return ""
    from workbench.core.episodes.session_rules import population_cautions

    return " ".join(population_cautions(session, [pack]))


def _find_pack(guidance_id: str) -> tuple[Any | None, str]:
    from workbench.core.rules import PackError, find_pack

    try:
        return find_pack(guidance_id), ""
    except PackError as exc:
        return None, f"its pack file is broken: {exc}"
