"""The search results list: one line per row, only changed lines repainted, highlight kept in view."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from workbench.tui.widgets.result_rows import ResultRows


class RowsApp(App[None]):
    CSS = "ResultRows { height: 5; }"

    def compose(self) -> ComposeResult:
        yield ResultRows(id="rows")


def rows(*titles: str) -> list[Text]:
    return [Text(title) for title in titles]


def shown(app: RowsApp) -> list[str]:
    return app.screen.query_one(ResultRows).lines()


async def test_only_lines_whose_text_changed_are_repainted(monkeypatch) -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.screen.query_one(ResultRows)
        widget.set_rows(rows("A", "B", "C"))
        await pilot.pause()
        drawn: list[int] = []
        original = ResultRows.render_line

        def counting(self: ResultRows, y: int):
            drawn.append(y)
            return original(self, y)

        monkeypatch.setattr(ResultRows, "render_line", counting)
        widget.set_rows(rows("A", "B", "D"))
        await pilot.pause()
        assert drawn == [2]                       # the one line whose text changed
        assert shown(app)[:3] == ["A", "B", "D"]
        drawn.clear()
        widget.set_rows(rows("A", "B", "D"))      # the same rows again: nothing to paint
        await pilot.pause()
        assert drawn == []
        # What is drawn is the row: the third line reads D, padded to the list's width.
        line = widget.render_line(2)
        assert line.text.rstrip() == "D" and line.cell_length == widget.size.width


async def test_the_highlight_stays_visible_when_moving_past_the_last_line() -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.screen.query_one(ResultRows)
        widget.set_rows(rows(*[f"row {i}" for i in range(12)]))
        await pilot.pause()
        assert len(shown(app)) == 5
        for _ in range(7):
            widget.move(+1)
        assert widget.highlighted == 7
        assert shown(app) == [f"row {i}" for i in range(3, 8)]
        assert [lit for _, lit in widget.shown] == [False, False, False, False, True]
        widget.move(-100)
        assert widget.highlighted == 0 and shown(app)[0] == "row 0"
        widget.move(+100)
        assert widget.highlighted == 11


async def test_the_highlighted_line_is_drawn_in_the_cursor_style() -> None:
    app = RowsApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        widget = app.screen.query_one(ResultRows)
        widget.set_rows(rows("one", "two"), highlighted=1)
        await pilot.pause()
        cursor = widget.get_component_rich_style("result-rows--highlight")
        assert cursor.bgcolor is not None
        assert all(segment.style.bgcolor == cursor.bgcolor for segment in widget.render_line(1))
        assert all(segment.style.bgcolor != cursor.bgcolor for segment in widget.render_line(0))


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
        await pilot.click(ResultRows, offset=(1, 1))
        await pilot.pause()
        assert chosen == [widget.top + 1]
