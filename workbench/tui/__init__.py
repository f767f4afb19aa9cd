"""The Textual app. Only this package imports Textual."""


def run_app(log: str | None = None, theme: str | None = None) -> int:
    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(log=log, theme=theme)
    app.run()
    return app.return_code or 0
