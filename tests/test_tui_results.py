"""The search results list: one line per row, only changed lines repainted, highlight kept in view."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from workbench.tui.widgets.result_rows import ResultLine, ResultRows


class RowsApp(App[None]):
    CSS = "ResultRows { height: 5; }"

    def compose(self) -> ComposeResult:
        yield ResultRows(id="rows")


def rows(*titles: str) -> list[Text]:
    return [Text(title) for title in titles]


def on_screen(app: RowsApp) -> list[ResultLine]:
    """The lines inside the list's region (lines for a taller terminal are clipped below it)."""
    bottom = app.screen.query_one(ResultRows).region.bottom
    return [line for line in app.screen.query(ResultLine) if line.region.height and line.region.y < bottom]


def shown(app: RowsApp) -> list[str]:
    return [line.shown[0].split("\0")[0] for line in on_screen(app)]


async def test_only_lines_whose_text_changed_are_repainted(monkeypatch) -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.screen.query_one(ResultRows)
        widget.set_rows(rows("A", "B", "C"))
        await pilot.pause()
        updated: list[int] = []
        original = ResultLine.update

        def counting(self: ResultLine, *args, **kwargs):
            updated.append(self.index)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(ResultLine, "update", counting)
        widget.set_rows(rows("A", "B", "D"))
        await pilot.pause()
        assert updated == [2]
        assert shown(app)[:3] == ["A", "B", "D"]
        updated.clear()
        widget.set_rows(rows("A", "B", "D"))          # the same rows again: nothing to paint
        assert updated == []


async def test_the_highlight_stays_visible_when_moving_past_the_last_line() -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.screen.query_one(ResultRows)
        widget.set_rows(rows(*[f"row {i}" for i in range(12)]))
        await pilot.pause()
        assert len(on_screen(app)) == 5
        for _ in range(7):
            widget.move(+1)
        assert widget.highlighted == 7
        assert shown(app) == [f"row {i}" for i in range(3, 8)]
        highlighted = [line for line in app.screen.query(ResultLine) if line.has_class("-highlight")]
        assert [line.index for line in highlighted] == [4]
        widget.move(-100)
        assert widget.highlighted == 0 and shown(app)[0] == "row 0"
        widget.move(+100)
        assert widget.highlighted == 11


async def test_a_click_on_a_line_names_the_row_under_it() -> None:
    chosen: list[int | None] = []

    class Clicking(RowsApp):
        def on_result_rows_chosen(self, event: ResultRows.Chosen) -> None:
            chosen.append(self.screen.query_one(ResultRows).row_at_line(event.line))

    app = Clicking()
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.screen.query_one(ResultRows)
        widget.set_rows(rows(*[f"row {i}" for i in range(12)]), highlighted=9)
        await pilot.pause()
        await pilot.click(ResultLine, offset=(1, 0))
        await pilot.pause()
        assert chosen == [widget.top]
