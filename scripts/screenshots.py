"""Regenerate the README's SVG screenshots (search, wizard, review) from the real app.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/*.svg
    .venv/bin/python scripts/screenshots.py --out DIR

Runs the app headless with a scratch WORKBENCH_HOME, drives it with the same Pilot
steps as the tests (tests/tui_flows.py), and saves what the screen shows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (name, size): the wizard is shown wide enough for its side panel.
SHOTS = [("search", (80, 24)), ("wizard", (120, 30)), ("review", (80, 24))]


async def shoot(name: str, size: tuple[int, int], out: Path) -> Path:
    from tests.tui_flows import SCREENS
    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(offer_drafts=False, theme="textual-dark")
    async with app.run_test(size=size) as pilot:
        await SCREENS[name](pilot)
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"NICE coding workbench: {name}"), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        os.environ["WORKBENCH_HOME"] = home        # never the coder's real data
        os.environ["WORKBENCH_CODER"] = "screenshot"
        for name, size in SHOTS:
            print(asyncio.run(shoot(name, size, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
