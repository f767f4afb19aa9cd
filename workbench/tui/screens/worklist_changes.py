"""The worklist screen's changes to items: queries (ask, reply, resolve) and removal, each in a
worker; the list is re-read when one is recorded. A mixin of
:class:`workbench.tui.screens.worklist.WorklistScreen`, kept apart so that module stays short."""

from __future__ import annotations

from typing import Any

from textual import work

from workbench.core.safetext import visible


class WorklistChanges:
    app: Any
    notify: Any
    load: Any
    _current: Any

    def action_query_item(self) -> None:
        """q: ask a clinician; on an item already waiting, record the reply."""
        from workbench.tui.screens.modals import QueryModal, TextModal

        item = self._current()
        if item is None:
            return
        if item.status in ("coded", "removed"):
            self.notify(f"This item is {item.status}; queries are for items still to code.", severity="warning")
            return
        query = item.query
        if item.status == "query" and query is not None and query.status != "resolved":
            def replied(text: str | None) -> None:
                if text:
                    self.change(item.id, "record_reply", text)

            self.app.push_screen(TextModal(
                "Reply to the query", f"Query to {visible(query.clinician) or 'the clinician'}: "
                f"{visible(query.question)}\nType the reply (o resolves the query once it is settled).",
                placeholder="reply", value=query.reply or ""), replied)
            return

        def asked(answer: dict[str, Any] | None) -> None:
            if answer:
                self.change(item.id, "raise_query", answer["question"], to=answer["to"], sent_on=answer["sent"])

        self.app.push_screen(QueryModal(), asked)

    def action_resolve_query(self) -> None:
        item = self._current()
        if item is None or item.status != "query":
            self.notify("No query is waiting on this item.", severity="warning")
            return
        self.change(item.id, "resolve")

    def action_remove_item(self) -> None:
        from workbench.tui.screens.modals import TextModal

        item = self._current()
        if item is None:
            return
        if item.status in ("coded", "removed"):
            self.notify(f"This item is {item.status}; only an uncoded item can be taken off.", severity="warning")
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.change(item.id, "remove", reason)

        self.app.push_screen(TextModal("Take off the worklist",
                                       f"Why is {visible(item.reference)} taken off the worklist? "
                                       "The reason is kept in its history.", placeholder="reason"), reason_given)

    @work(thread=True, group="worklist-change")
    def change(self, item_id: int, action: str, *args: Any, **kwargs: Any) -> None:
        from workbench.core.episodes.worklist import Worklist

        context = self.app.context
        try:
            getattr(Worklist(context.episode_log(), coder=context.coder()), action)(item_id, *args, **kwargs)
        except Exception as exc:
            self.app.call_from_thread(self.app.report_error, "The worklist was not changed", exc)
            return
        self.app.call_from_thread(self.load)

    def mark_query(self, item_id: int, note: str) -> None:
        """A query with its question only (tests, and scripts driving the app)."""
        self.change(item_id, "mark_query", note)

