"""The coding audit in the app (F4): samples, a sample's episodes, blind re-coding.

Before an episode's audit coding is saved, these screens show only what the case notes
would (patient, episode, dates, specialty): never its codes, coder or checks. Enter on an
episode to code starts a blind coding in the normal screens (search, wizards, review with
every check); ctrl+s there saves it to the audit, and the comparison opens.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.key_bar import KeyBar

SAMPLE_WORDS = {"seed": "seed", "from": "since", "since": "since", "to": "until", "until": "until",
                "coder": "coder", "specialty": "specialty", "speciality": "specialty", "guidance": "guidance",
                "stratify": "stratify", "by": "stratify", "name": "name"}


def parse_sample_request(text: str) -> tuple[dict[str, Any], str]:
    """'20 from 1/4/2025 to 30/6/2025 specialty urology seed 7 stratify coder' as new-sample
    arguments, and a problem ('' when none)."""
    from workbench.core.dates import DateError, parse_coder_date

    found: dict[str, Any] = {}
    tokens = text.split()
    i = 0
    while i < len(tokens):
        token = tokens[i].lower()
        if token.isdecimal() and "size" not in found:
            found["size"] = int(token)
        elif token in SAMPLE_WORDS and i + 1 < len(tokens):
            field, value = SAMPLE_WORDS[token], tokens[i + 1]
            i += 1
            if field in ("since", "until"):
                try:
                    found[field] = parse_coder_date(value)
                except DateError as exc:
                    return {}, f"{token}: {exc}"
            elif field == "seed":
                if not value.isdecimal():
                    return {}, "seed: a whole number"
                found["seed"] = int(value)
            else:
                found[field] = value
        else:
            return {}, f"'{tokens[i]}' is not understood: e.g. 20 from 1/4/2025 to 30/6/2025 seed 7"
        i += 1
    if "size" not in found:
        return {}, "give the sample size, e.g. 20"
    return found, ""


class AuditSamplesScreen(WorkbenchScreen):
    HELP_NAME = "audit"
    BINDINGS = keymap.bindings("audit")

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static("Coding audit: samples", classes="title")
        yield DataTable(id="audit-samples", cursor_type="row")
        yield Static("", id="audit-status", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#audit-samples", DataTable)
        table.add_columns("sample", "drawn", "audited", "auditor", "how")
        table.focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @work(thread=True, exclusive=True, group="audit-samples")
    def load(self) -> None:
        from workbench.core.audit import Audits

        try:
            samples = Audits(self.app.context.episode_log()).samples()
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The audit samples could not be read", exc)
            return
        self.app.call_from_thread(self._loaded, samples)

    @if_attached
    def _loaded(self, samples: list[Any]) -> None:
        self.samples = samples
        table = self.query_one("#audit-samples", DataTable)
        table.clear()
        for s in samples:
            table.add_row(Text(visible(f"{s.id} {s.name}")), s.drawn_at[:10], f"{s.audited}/{s.size}",
                          Text(visible(s.auditor)), Text(visible(s.method.describe())))
        self.query_one("#audit-status", Static).update(
            f"{len(samples)} sample(s) · Enter opens · n draws a new sample" if samples
            else "No samples yet · n draws one (e.g. 20 from 1/4/2025 to 30/6/2025 seed 7)")

    def action_open_sample(self) -> None:
        row = self.query_one("#audit-samples", DataTable).cursor_row
        if 0 <= row < len(self.samples):
            self.app.push_screen(AuditSampleScreen(self.samples[row].id))

    @on(DataTable.RowSelected, "#audit-samples")
    def _selected(self) -> None:
        self.action_open_sample()

    def action_new_sample(self) -> None:
        from workbench.tui.screens.modals import TextModal

        def given(text: str | None) -> None:
            if not text:
                return
            request, problem = parse_sample_request(text)
            if problem:
                self.notify(problem, severity="warning")
                return
            self.draw(request)

        self.app.push_screen(TextModal(
            "Draw an audit sample", "Size, then any of: from DATE, to DATE, coder LOGIN, specialty NAME, "
            "guidance IPGn, seed N, stratify specialty|coder, name WORD. The same seed on the same log "
            "draws the same sample; without one a seed is chosen and kept.",
            placeholder="20 from 1/4/2025 to 30/6/2025 seed 7"), given)

    @work(thread=True, group="audit-draw")
    def draw(self, request: dict[str, Any]) -> None:
        from workbench.core.audit import Audits, checked_method

        context = self.app.context
        try:
            name = request.pop("name", None)
            method = checked_method(request.pop("size"), request.pop("seed", None), **request)
            info = Audits(context.episode_log()).new_sample(method, drawn_by=context.coder(), name=name)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "No sample was drawn", exc)
            return
        self.app.call_from_thread(self.app.notify, f"Sample {info.id}: {info.size} episodes "
                                  f"({info.method.describe()})", title="Sample drawn")
        self.app.call_from_thread(self.load)


class AuditSampleScreen(WorkbenchScreen):
    HELP_NAME = "audit_sample"
    BINDINGS = keymap.bindings("audit_sample")

    def __init__(self, sample_id: int):
        super().__init__()
        self.sample_id = sample_id
        self.items: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(f"Audit sample {self.sample_id}", id="audit-sample-title", classes="title")
        yield DataTable(id="audit-items", cursor_type="row")
        yield Static("", id="audit-sample-status", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#audit-items", DataTable)
        table.add_columns("#", "episode", "patient", "reference", "date", "specialty", "audit")
        table.focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @work(thread=True, exclusive=True, group="audit-items")
    def load(self) -> None:
        from workbench.core.audit import Audits

        try:
            audits = Audits(self.app.context.episode_log())
            info, items = audits.sample(self.sample_id), audits.items(self.sample_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The sample could not be read", exc)
            return
        self.app.call_from_thread(self._loaded, info, items)

    @if_attached
    def _loaded(self, info: Any, items: list[Any]) -> None:
        from workbench.core.dates import show_date

        self.items = items
        done = sum(1 for i in items if i.audited)
        self.query_one("#audit-sample-title", Static).update(Text(visible(
            f"Audit sample {info.id}: {done}/{len(items)} audited · {info.name} · {info.method.describe()} · "
            f"drawn by {info.drawn_by}")))
        table = self.query_one("#audit-items", DataTable)
        table.clear()
        for item in items:
            d = item.details
            table.add_row(str(item.position), str(item.episode_id), Text(visible(d.patient if d else "?")),
                          Text(visible(d.episode if d else "?")), show_date(d.date) if d else "",
                          Text(visible((d.specialty or "") if d else "")),
                          "audited" if item.audited else "to code")
        first = next((n for n, i in enumerate(items) if not i.audited), 0)
        if items:
            table.move_cursor(row=first)
        self.query_one("#audit-sample-status", Static).update(
            f"{done}/{len(items)} audited · Enter codes it blind (or shows an audited one) · "
            "r report · Escape back")

    def _current(self) -> Any | None:
        row = self.query_one("#audit-items", DataTable).cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    def action_code_item(self) -> None:
        item = self._current()
        if item is None:
            return
        if item.audited:
            from workbench.tui.screens.audit_review import AuditCompareScreen

            self.app.push_screen(AuditCompareScreen(self.sample_id, item.episode_id))
        else:
            self.app.start_audit_coding(self.sample_id, item)

    @on(DataTable.RowSelected, "#audit-items")
    def _selected(self) -> None:
        self.action_code_item()

    def action_report(self) -> None:
        from workbench.tui.screens.audit_review import AuditReportScreen

        self.app.push_screen(AuditReportScreen(self.sample_id))
