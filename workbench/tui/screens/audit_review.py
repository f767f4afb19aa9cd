"""After an audit coding is saved: the original beside the audit, each difference reviewed
(error type, agreement, note); and the sample's report, exported as HTML or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.key_bar import KeyBar

ERROR_KEYS = {"coder": "coder error", "documentation": "documentation", "other": "other"}


class AuditCompareScreen(WorkbenchScreen):
    HELP_NAME = "audit_compare"
    BINDINGS = keymap.bindings("audit_compare")

    def __init__(self, sample_id: int, episode_id: int):
        super().__init__()
        self.sample_id, self.episode_id = sample_id, episode_id
        self.result: Any | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(f"Audit sample {self.sample_id} · episode {self.episode_id}", id="compare-title",
                     classes="title")
        yield Static("", id="compare-codes")
        yield DataTable(id="compare-differences", cursor_type="row")
        yield Static("", id="compare-status", classes="status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#compare-differences", DataTable)
        table.add_columns("#", "code type", "difference", "coded", "audit", "error type", "agreed", "note")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="audit-compare")
    def load(self, keep_row: int = 0) -> None:
        from workbench.core.audit import Audits

        try:
            result = Audits(self.app.context.episode_log()).comparison(self.sample_id, self.episode_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The comparison could not be shown", exc)
            return
        self.app.call_from_thread(self._loaded, result, keep_row)

    @if_attached
    def _loaded(self, result: Any, keep_row: int) -> None:
        from workbench.core.audit.compare import KIND_TITLES, TYPE_TITLES

        self.result = result
        self.query_one("#compare-title", Static).update(Text(visible(
            f"Audit sample {result.sample_id} · #{result.position} · episode {result.episode_id} · "
            f"coded by {result.coder} · audited by {result.auditor}")))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_column()
        grid.add_row("", "procedures", "diagnoses")
        grid.add_row("coded", visible(" ".join(result.original_procedures) or "-"),
                     visible(" ".join(result.original_diagnoses) or "-"))
        grid.add_row("audit", visible(" ".join(result.audit.procedures) or "-"),
                     visible(" ".join(result.audit.diagnoses) or "-"))
        self.query_one("#compare-codes", Static).update(grid)
        table = self.query_one("#compare-differences", DataTable)
        table.clear()
        for n, r in enumerate(result.reviews, start=1):
            d = r.difference
            table.add_row(str(n), TYPE_TITLES[d.code_type], KIND_TITLES[d.kind], d.original or "-",
                          d.audit or "-", ERROR_KEYS.get(r.error_type or "", "-"),
                          "-" if r.agreed is None else ("yes" if r.agreed else "no"), Text(visible(r.note or "")))
        if result.reviews:
            table.move_cursor(row=min(keep_row, len(result.reviews) - 1))
        self.query_one("#compare-status", Static).update(
            f"{len(result.reviews)} difference(s) · 1 coder error · 2 documentation · 3 other · "
            "a agree · d disagree · n note" if result.reviews else "No differences: the coding agrees.")

    def _current(self) -> tuple[int, Any] | None:
        if self.result is None or not self.result.reviews:
            return None
        row = self.query_one("#compare-differences", DataTable).cursor_row
        return (row, self.result.reviews[row]) if 0 <= row < len(self.result.reviews) else None

    def action_error_type(self, kind: str) -> None:
        self._review(error_type=kind)

    def action_agree(self, agreed: bool) -> None:
        self._review(agreed=agreed)

    def action_note(self) -> None:
        from workbench.tui.screens.modals import TextModal

        current = self._current()
        if current is None:
            return

        def given(note: str | None) -> None:
            if note:
                self._review(note=note)

        self.app.push_screen(TextModal("Note on the difference", current[1].difference.describe(),
                                       value=current[1].note or "", placeholder="note"), given)

    def _review(self, **changes: Any) -> None:
        current = self._current()
        if current is not None:
            self.record(current[0], current[1].difference.key, changes)

    @work(thread=True, group="audit-review")
    def record(self, row: int, key: str, changes: dict[str, Any]) -> None:
        from workbench.core.audit import Audits

        context = self.app.context
        try:
            Audits(context.episode_log()).review(self.sample_id, self.episode_id, key,
                                                 reviewer=context.coder(), **changes)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The review was not recorded", exc)
            return
        self.app.call_from_thread(self.load, row)


class AuditReportScreen(WorkbenchScreen):
    HELP_NAME = "audit_report"
    BINDINGS = keymap.bindings("audit_report")

    def __init__(self, sample_id: int):
        super().__init__()
        self.sample_id = sample_id
        self.report: Any | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(f"Audit report · sample {self.sample_id}", id="report-title", classes="title")
        yield Static("Working out the figures…", id="report-figures")
        yield DataTable(id="report-differences", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#report-differences", DataTable)
        table.add_columns("#", "episode", "coder", "code type", "difference", "coded", "audit", "error", "agreed")
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="audit-report")
    def load(self) -> None:
        from workbench.core.audit import Audits

        try:
            report = Audits(self.app.context.episode_log()).report(self.sample_id)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The report could not be made", exc)
            return
        self.app.call_from_thread(self._loaded, report)

    @if_attached
    def _loaded(self, report: Any) -> None:
        from workbench.core.audit.compare import KIND_TITLES, TYPE_TITLES

        self.report = report
        o = report.overall
        self.query_one("#report-title", Static).update(Text(visible(
            f"Audit report · sample {report.sample_id} · {report.audited}/{report.sampled} audited · "
            f"attainment: {o.level}")))
        grid = Table.grid(padding=(0, 1))
        for _ in range(4):
            grid.add_column()
        grid.add_column(style="bold")
        for t in o.types:
            bar = "█" * round((t.percent or 0) / 10)
            grid.add_row(TYPE_TITLES[t.code_type], f"{t.right}/{t.counted}",
                         "-" if t.percent is None else f"{t.percent:.2f}%", f"{bar:<10}", t.level)
        groups = Text()
        for title, items in (("coders", report.by_coder), ("specialties", report.by_specialty)):
            cells = " · ".join(f"{g.name} {g.level}" for g in items)
            groups.append(f"\nBy {title}: {visible(cells) or '-'}")
        table_and_groups = Table.grid()
        table_and_groups.add_row(grid)
        table_and_groups.add_row(groups)
        self.query_one("#report-figures", Static).update(table_and_groups)
        table = self.query_one("#report-differences", DataTable)
        table.clear()
        for d in report.differences:
            table.add_row(str(d.position), str(d.episode_id), Text(visible(d.coder)), TYPE_TITLES[d.code_type],
                          KIND_TITLES[d.kind], d.original or "-", d.audit or "-", d.error_type or "-",
                          "-" if d.agreed is None else ("yes" if d.agreed else "no"))

    def action_export(self, kind: str) -> None:
        from workbench.tui.screens.modals import TextModal

        def chosen(path: str | None) -> None:
            if path:
                self.export(kind, Path(path).expanduser())

        self.app.push_screen(TextModal(f"Export the report ({kind.upper()})", "Write the report to this file:",
                                       value=f"audit-{self.sample_id}.{kind}", placeholder="file name"), chosen)

    @work(thread=True, group="audit-export")
    def export(self, kind: str, path: Path) -> None:
        from workbench.core.audit import Audits
        from workbench.core.episodes.export_file import export_target

        try:
            log = self.app.context.episode_log()
            report = Audits(log).report(self.sample_id)
            with export_target(path, [log.path], force=False) as out:
                if kind == "html":
                    from workbench.core.audit.html import render

                    out.write(render(report))
                else:
                    from workbench.core.audit.report import write_csv

                    write_csv(report, out)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The report was not written", exc)
            return
        self.app.call_from_thread(self.app.notify, f"Report written to {path}")
