"""The Textual app. Only this package imports Textual."""

import os


def run_app(log: str | None = None, theme: str | None = None) -> int:
    from workbench.tui.context import Context

    context = Context(log)
    context.start_preparing()    # the reference database opens while Textual imports
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.lifetime import leave

    app = WorkbenchApp(log=log, theme=theme, context=context)
    # WORKBENCH_HEADLESS=1 runs without a terminal (benchmarks, with WORKBENCH_EXIT_ON_READY=1).
    app.run(headless=os.environ.get("WORKBENCH_HEADLESS") == "1")
    # A worker still waiting on the stopped app must not keep the process alive.
    return leave(app.return_code or 0)
