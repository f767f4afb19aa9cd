"""The Textual app: a thin shell that wires screens to the core.

Start-up is kept cheap on purpose (the benchmark compares it with a bare Textual
app): only the search screen is imported here; every other screen is imported
when it is first opened, and the reference database is opened in a worker after
the first frame.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import App
from textual.screen import Screen

from workbench.tui import keymap
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.context import WORKER_THREADS, Context, Loaded
from workbench.tui.episode_actions import EpisodeActions
from workbench.tui.lifetime import install_hangup_handler
from workbench.tui.screens.search import SearchScreen
from workbench.tui.session import SessionKeeper
from workbench.tui.typeahead import KeyHandled, TypeAhead
from workbench.tui.widgets.line_input import slash_is_text


class WorkbenchApp(EpisodeActions, App[int]):
    CSS_PATH = "workbench.tcss"
    TITLE = "NICE coding workbench"
    BINDINGS = keymap.bindings("app")
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # Notifications must not hide the footer's keys for long over slow links.
    NOTIFICATION_TIMEOUT = 6

    def __init__(self, log: str | None = None, theme: str | None = None, *,
                 exit_on_ready: bool | None = None, offer_drafts: bool = True,
                 reference: Path | None = None, context: Context | None = None):
        super().__init__()
        self.context = context or Context(log, reference)
        self.requested_theme = theme
        if exit_on_ready is None:
            exit_on_ready = os.environ.get("WORKBENCH_EXIT_ON_READY") == "1"
        self.exit_on_ready = exit_on_ready
        self.offer_drafts = offer_drafts
        self.user_keys: dict[str, str] = {}
        self.keeper = SessionKeeper(self)
        self.packs: dict[str, Any] = {}      # rule packs loaded so far, by id (read-only objects)
        self.worklist_open = 0               # open worklist items at start-up
        self.copy_format: Any = None         # [copy] of the config (workbench.core.episodes.copyout)
        self.copy_turn: tuple[str, int] = ("", 0)   # what ctrl+y copied last, and which part
        self.context.on_log_notice = self._log_notice
        # Keys from the terminal, one at a time, held while a screen opens (workbench/tui/typeahead.py).
        self.typeahead = TypeAhead(self, self._dispatch_terminal_key)

    def _log_notice(self, message: str) -> None:
        """A notice from the episode log (told once): shown as text, from whichever thread."""
        from workbench.core.safetext import visible

        def show() -> None:
            self.notify(visible(message), title="Episode log", severity="warning", timeout=12, markup=False)

        if threading.get_ident() == getattr(self, "_thread_id", None):
            show()
        else:
            self.call_from_thread(show)

    # ------------------------------------------------------------ keys typed ahead

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.typeahead.key(event)   # a key from the terminal: now, or once the app is ready for it
            return
        await super().on_event(event)

    async def _dispatch_terminal_key(self, event: events.Key) -> None:
        await super().on_event(event)

    async def on_key_handled(self, message: KeyHandled) -> None:
        await self.typeahead.marker(message)

    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False, *,
                    mode: str | None = None) -> Any:
        result = super().push_screen(screen, callback, wait_for_dismiss, mode=mode)
        if isinstance(screen, Screen):
            self.typeahead.opened(screen)   # keys typed meanwhile wait for its first frame
        return result

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_search" and slash_is_text(self.focused):
            return False   # `/` is a character of this box's text (a date, a reason): typed, not taken
        return super().check_action(action, parameters)

    # ------------------------------------------------------------ start-up

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notice is plain text: messages quote what coders typed (search text, file names,
        notes), and a stray "[/x" read as markup stops the app. No notice uses markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_driver_class(self) -> Any:
        driver = super().get_driver_class()
        from textual.drivers.linux_driver import LinuxDriver

        if driver is LinuxDriver:   # a real terminal (Linux, macOS): Escape at once, fewer bytes
            from workbench.tui.terminal_driver import WorkbenchDriver

            return WorkbenchDriver
        return driver

    def get_default_screen(self) -> Screen:
        return SearchScreen()

    def on_mount(self) -> None:
        # Thread workers run on the loop's default executor: a small pool (each thread keeps its
        # own database connections, workbench/tui/context.py), not Python's default of six.
        from concurrent.futures import ThreadPoolExecutor

        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="workbench-worker"))
        self._apply_config()
        # A closed terminal (SSH drop, tmux kill-session) sends SIGHUP: leave quietly and
        # promptly; the draft was saved after the last answer.
        install_hangup_handler(asyncio.get_running_loop(), self._hangup)
        loaded = self.context.prepared_early()
        if loaded is not None:
            # Opened while Textual was importing (run_app): shown as soon as the search
            # screen is composed, so that "Loaded:" is in its first frame.
            self.screen.call_next(self._show_early, loaded)
        elif self.context.preparing_early():
            self.load_reference()    # only waits for that thread (a first run's copy): shown when done
        else:
            self.call_after_refresh(self.load_reference)
        if not self.exit_on_ready:   # a start-up timing run stops at "Loaded:", like check_start
            # os.stat of the log's files: a warning that can follow the first frame.
            self.call_after_refresh(self.check_privacy)

    def _show_early(self, loaded: Loaded) -> None:
        if self.get_default_screen_instance().query("#search-loaded"):
            self._reference_ready(loaded)
        else:  # not composed yet (not seen): after the first frame, then
            self.call_after_refresh(self._reference_ready, loaded)

    def _hangup(self) -> None:
        self.exit(0)

    def _apply_config(self) -> None:
        from workbench.core.paths import ConfigError, load_config

        try:
            config = load_config()
        except ConfigError as exc:
            self.notify(str(exc), title="Config file not used", severity="error")
            config = {}
        from workbench.core.episodes.copyout import copy_format

        self.copy_format, copy_problems = copy_format(config)
        user_keys, problems = keymap.user_keymap(config)
        problems = [*problems, *copy_problems]
        self.user_keys = user_keys
        if user_keys:
            self.set_keymap(user_keys)
        for problem in problems:
            self.notify(problem, title="Config file", severity="warning")
        theme = self.requested_theme or config.get("theme")
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                names = ", ".join(sorted(self.available_themes))
                self.notify(f"No theme called '{theme}'. Themes: {names}", severity="warning")

    @work(thread=True, exclusive=True, group="reference")
    def load_reference(self) -> None:
        try:
            loaded = self.context.prepare()
        except Exception as exc:  # shown to the coder; never a traceback
            self.call_from_thread(self.report_error, "The reference database could not be opened", exc)
            return
        self.call_from_thread(self._reference_ready, loaded)

    def _reference_ready(self, loaded: Loaded) -> None:
        self.sub_title = loaded.short()
        for notice in loaded.notices:
            self.notify(notice, title="Reference database rebuilt", severity="warning", timeout=20)
        if isinstance(self.screen, SearchScreen):
            self.screen.reference_ready(loaded)
        else:
            self.get_default_screen_instance().reference_ready(loaded)
        if self.exit_on_ready:
            # Ready means search answers: the reference database is open and "Loaded:" is painted.
            self.call_after_refresh(self.exit, 0)
            return
        # After "Loaded:" is painted: opening the log must not hold up the first usable frame.
        self.call_after_refresh(self.check_start)

    @work(thread=True, exclusive=True, group="drafts")
    def check_start(self) -> None:
        """Open on the worklist when it has open items, then offer an unfinished draft."""
        from workbench.core.episodes.worklist import Worklist

        try:
            log = self.context.episode_log()
            self.worklist_open = Worklist(log).open_count()
        except Exception as exc:
            self.call_from_thread(self.report_error, "The episode log could not be opened", exc)
            return
        if self.worklist_open:
            self.call_from_thread(self.action_open_worklist)
        if self.offer_drafts:
            self.check_drafts()

    def get_default_screen_instance(self) -> SearchScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, SearchScreen)
        return screen

    @work(thread=True, exclusive=True, group="privacy")
    def check_privacy(self) -> None:
        """Warn when others can read the log, its companions or its folder (os.stat only)."""
        from workbench.core.paths import ConfigError, exposure_warnings

        try:
            path = self.context.log_path()
            warnings = [] if path is None else exposure_warnings(path)
        except (ConfigError, OSError):
            return       # the log's own opening reports what is wrong with the path
        for warning in warnings:
            self.call_from_thread(self.notify, warning, title="Patient data exposed",
                                  severity="warning", timeout=20)

    # ------------------------------------------------------------ drafts

    def check_drafts(self) -> None:
        try:
            drafts = self.context.episode_log().drafts(self.context.coder())
        except Exception as exc:
            self.call_from_thread(self.report_error, "The episode log could not be opened", exc)
            return
        if drafts:
            self.call_from_thread(self._offer_draft, drafts)

    def _offer_draft(self, drafts: list[Any]) -> None:
        from workbench.tui.screens.modals import DraftModal

        latest = max(drafts, key=lambda d: d.updated_at)

        def chosen(choice: str | None) -> None:
            from workbench.tui.screens.drafts import describe_draft
            from workbench.tui.screens.modals import ConfirmModal

            if choice == "resume":
                self.resume_draft(latest)
            elif choice == "discard":    # asked once, as on the drafts screen
                self.push_screen(ConfirmModal("Discard the draft?", f"Throw away {describe_draft(latest)}? "
                                              "Its answers and codes are lost."),
                                 lambda yes: self.discard_draft(latest.id) if yes else None)

            elif choice == "list":
                self.action_open_drafts()

        self.push_screen(DraftModal(latest, len(drafts)), chosen)

    def resume_draft(self, draft: Any) -> None:
        self.open_state(dict(draft.state), draft_id=draft.id)

    def action_open_drafts(self) -> None:
        from workbench.tui.screens.drafts import DraftsScreen

        if not isinstance(self.screen, DraftsScreen):
            self.push_screen(DraftsScreen())

    @work(thread=True, group="drafts")
    def discard_draft(self, draft_id: int) -> None:
        try:
            self.context.episode_log().discard_draft(draft_id)
        except Exception as exc:
            self.call_from_thread(self.report_error, "The draft could not be discarded", exc)
            return
        self.call_from_thread(self.notify, "Draft discarded")

    # ------------------------------------------------------------ navigation

    def action_go_search(self) -> None:
        self.go_home(clear=False)

    def go_home(self, *, clear: bool) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        home = self.get_default_screen_instance()
        if clear:
            home.clear()
        home.focus_search()

    def action_open_worklist(self) -> None:
        from workbench.tui.screens.worklist import WorklistScreen

        if not isinstance(self.screen, WorklistScreen):
            self.go_home(clear=False)
            self.push_screen(WorklistScreen())

    def action_open_log(self) -> None:
        from workbench.tui.screens.log import LogScreen

        if not isinstance(self.screen, LogScreen):
            self.push_screen(LogScreen())

    def action_open_audit(self) -> None:
        from workbench.tui.screens.audit import AuditSamplesScreen

        if not isinstance(self.screen, AuditSamplesScreen):
            self.push_screen(AuditSamplesScreen())

    def action_open_stats(self) -> None:
        from workbench.tui.screens.stats import StatsScreen

        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen())

    def open_guidance(self, guidance_id: str) -> None:
        from workbench.tui.screens.guidance import GuidanceScreen

        self.push_screen(GuidanceScreen(guidance_id))

    def open_code(self, classification: str, code: str) -> None:
        from workbench.tui.screens.code import CodeScreen

        self.push_screen(CodeScreen(classification, code))

    async def action_quit(self) -> None:
        import asyncio

        await asyncio.to_thread(self.keeper.flush)   # details typed since the last draft
        self.exit(0)

    def action_help(self) -> None:
        from workbench.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)   # F1 again closes it (the key is the app's, from every screen)
        else:
            self.push_screen(HelpScreen(self.screen))

    def action_change_theme(self) -> None:
        self.search_themes()

    # ------------------------------------------------------------ errors

    def _handle_exception(self, error: Exception) -> None:
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """A bug: say what happened and where the draft is, never Textual's traceback panel,
        whose local values may hold patient details; the traceback goes to a 0600 file."""
        import traceback

        from workbench.core.paths import crash_report

        error = getattr(self, "_crash", None)
        frames = traceback.extract_tb(error.__traceback__) if error is not None else []
        where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        saved = crash_report("".join(traceback.format_exception(error))) if error is not None else None
        try:
            log = f"in the episode log {self.context.log_description()}"
        except Exception:  # the config is what failed: the message must still be shown
            log = "in the episode log"
        self.bell()
        self._exit_renderables.append(
            f"The workbench stopped: an internal error ({type(error).__name__}{where}).\n"
            f"Answers given before the last question are kept as a draft {log}; "
            "it is offered when the workbench starts again.\n"
            + (f"Details for a bug report (mode 600): {saved}" if saved else "No details could be saved."))
        self._close_messages_no_wait()

    def report_error(self, what: str, exc: BaseException) -> None:
        """A plain notification for anything that went wrong; never a traceback."""
        message = str(exc) or exc.__class__.__name__
        self.notify(message, title=what, severity="error", timeout=10)
