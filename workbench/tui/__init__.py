"""The Textual app. Only this package imports Textual."""

import os


def run_app(log: str | None = None, theme: str | None = None) -> int:
    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(log=log, theme=theme)
    # WORKBENCH_HEADLESS=1 runs without a terminal (benchmarks, with WORKBENCH_EXIT_ON_READY=1).
    app.run(headless=os.environ.get("WORKBENCH_HEADLESS") == "1")
    return app.return_code or 0
