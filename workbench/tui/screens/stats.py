"""The coding manager's screen (F5): productivity over a period, by coder, specialty or day,
with a small chart of episodes coded. The same figures as ``workbench stats``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Input, Static

from workbench.core.safetext import visible
from workbench.tui import keymap
from workbench.tui.screens.base import WorkbenchScreen, if_attached
from workbench.tui.widgets.key_bar import KeyBar

BARS = " ▁▂▃▄▅▆▇█"


def parse_period(text: str, today: dt.date | None = None) -> tuple[dt.date, dt.date, str | None, str]:
    """'from 1/1/2025 to 31/3/2025 by coder' -> (since, until, by, problem)."""
    from workbench.core.dates import DateError, parse_coder_date

    until = today or dt.date.today()
    since = until - dt.timedelta(days=30)
    by: str | None = "coder"
    tokens = text.lower().split()
    i = 0
    try:
        while i < len(tokens):
            word = tokens[i]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if word in ("from", "since") and nxt:
                since, i = parse_coder_date(nxt), i + 1
            elif word in ("to", "until") and nxt:
                until, i = parse_coder_date(nxt), i + 1
            elif word == "by" and nxt in ("coder", "specialty", "day", "none"):
                by, i = (None if nxt == "none" else nxt), i + 1
            else:
                return since, until, by, f"'{tokens[i]}' is not understood: e.g. from 1/1/2025 to 31/3/2025 by day"
            i += 1
    except DateError as exc:
        return since, until, by, f"date: {exc}"
    return since, until, by, ""


def chart(values: list[tuple[str, int]], width: int = 40) -> Text:
    """One line per group: a bar in proportion to the episodes coded (at most ``width`` cells)."""
    text = Text()
    top = max((v for _, v in values), default=0)
    for name, value in values[:12]:
        cells = round(width * value / top) if top else 0
        text.append(f"{visible(name)[:18]:<18} ")
        text.append("█" * cells, style="bold")
        text.append(f" {value}\n")
    if len(values) > 12:
        text.append(f"… {len(values) - 12} more in the table\n", style="dim")
    return text


class StatsScreen(WorkbenchScreen):
    HELP_NAME = "stats"
    BINDINGS = keymap.bindings("stats")

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Input(placeholder="f: from 1/1/2025 to 31/3/2025 by coder|specialty|day", id="stats-filter",
                    compact=True)
        yield Static("Counting…", id="stats-summary")
        yield Static("", id="stats-chart")
        yield DataTable(id="stats-table", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#stats-table", DataTable)
        table.add_columns("group", "coded", "amended", "voided", "median", "p90", "queries", "waiting",
                          "guided", "overridden")
        table.focus()
        self.load(*parse_period("")[:3])

    @work(thread=True, exclusive=True, group="stats")
    def load(self, since: dt.date, until: dt.date, by: str | None) -> None:
        from workbench.core.episodes.stats import productivity

        try:
            figures = productivity(self.app.context.episode_log().connection, since, until, by)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The figures could not be worked out", exc)
            return
        self.app.call_from_thread(self._loaded, figures)

    @if_attached
    def _loaded(self, figures: Any) -> None:
        t = figures.total

        def minutes(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} min"

        self.query_one("#stats-summary", Static).update(Text(
            f"Saved {figures.since:%d %b %Y} to {figures.until:%d %b %Y}: {t.episodes} coded, {t.amended} amended, "
            f"{t.voided} voided · time per episode median {minutes(t.median_minutes)}, p90 "
            f"{minutes(t.p90_minutes)} ({len(t.durations)} timed) · queries {t.queries_raised} raised, "
            f"{t.queries_outstanding} waiting · guidance {t.with_guidance} · overridden {t.overridden}"))
        self.query_one("#stats-chart", Static).update(
            chart([(g.key, g.episodes) for g in figures.groups]) if figures.groups else "")
        table = self.query_one("#stats-table", DataTable)
        table.clear()
        for g in [*figures.groups, t]:
            table.add_row(Text(visible(g.key)), str(g.episodes), str(g.amended), str(g.voided),
                          minutes(g.median_minutes), minutes(g.p90_minutes), str(g.queries_raised),
                          str(g.queries_outstanding), str(g.with_guidance), str(g.overridden))

    def action_focus_filter(self) -> None:
        self.query_one("#stats-filter", Input).focus()

    @on(Input.Submitted, "#stats-filter")
    def _filter(self, event: Input.Submitted) -> None:
        since, until, by, problem = parse_period(event.value)
        if problem:
            self.notify(problem, severity="warning")
            return
        self.query_one("#stats-table", DataTable).focus()
        self.load(since, until, by)

    def action_back(self) -> None:
        if self.focused is self.query_one("#stats-filter", Input):
            self.query_one("#stats-table", DataTable).focus()
            return
        super().action_back()
