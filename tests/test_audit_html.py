"""The audit report as one HTML document, rendered by a real browser: headless Chromium (the
Debian package `chromium`, which .ci/run installs) draws it to PNG at the width of an A4 page
and prints it to PDF; the page's text is read back from the rendered DOM, and the drawing must
keep within the page's printable width. Skipped, with the reason, only where Chromium is absent."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.audit_data import build, episode_codes
from workbench.core.audit import AuditCoding, Audits, checked_method
from workbench.core.audit.html import render
from workbench.core.episodes import EpisodeLog

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# CI must have it (.ci/run installs it): there the tests run, and fail, rather than skip.
pytestmark = pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true",
                                reason="chromium is not installed (.ci/run installs it)")

A4_WIDTH_PX = 794            # 210 mm at 96 px per inch, as the browser lays out a page
A4_HEIGHT_PX = 1123
PRINTABLE_PX = 680           # 180 mm: the page less its 15 mm margins
A4_POINTS = (595, 842)


def _chromium(*args: str, timeout: int = 90) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None, "CI needs chromium: .ci/run installs the Debian package"
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--disable-extensions", *args], capture_output=True, text=True,
                          timeout=timeout)


def read_png(path: Path) -> tuple[int, int, list[bytes], int]:
    """(width, height, rows of raw pixels, bytes per pixel) of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width = 8, b"", 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            step = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows, step


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    with EpisodeLog(build(folder / "episodes.db")) as log:
        audits = Audits(log)
        sample = audits.new_sample(checked_method(20, 3), drawn_by="manager", name="Q1 <cardiology & co>")
        for n, item in enumerate(audits.items(sample.id)):
            procedures, diagnoses = episode_codes(item.episode_id)
            if n == 0:
                diagnoses = ["J44.0", *diagnoses[1:]]
            if n == 1:
                procedures = [*procedures, "Y70.3"]
            audits.save_coding(sample.id, item.episode_id,
                               AuditCoding(procedures, diagnoses, [None] * len(diagnoses), [], {}, []),
                               auditor="auditor")
        first = audits.report(sample.id).differences[0]
        audits.review(sample.id, first.episode_id, first.key, reviewer="auditor", error_type="coder",
                      note="<script>alert(1)</script> missed on the op note", agreed=False)
        page = folder / "audit.html"
        page.write_text(render(audits.report(sample.id)), encoding="utf-8")
    return page


def test_the_document_is_self_contained_and_escaped(report_file: Path) -> None:
    text = report_file.read_text(encoding="utf-8")
    for fetches in ("<script", "<link", "<img", "src=", "href=", "url(", "@import"):
        assert fetches not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "Q1 &lt;cardiology &amp; co&gt;" in text
    assert "@page { size: A4" in text


def test_chromium_renders_the_text(report_file: Path) -> None:
    result = _chromium("--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-500:]
    import html

    body = result.stdout.split("<body>", 1)[-1]
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    for expected in ("Clinical coding audit: Q1 <cardiology & co>", "Attainment level reached: Level 3",
                     "Primary diagnosis 19 20 95.00% 90% / 95% Level 3",
                     "Secondary procedure 40 41 97.56% 80% / 90% Level 3",
                     "By coder", "By specialty", "Differences (2)", "coder error",
                     "<script>alert(1)</script> missed on the op note"):
        assert expected in words, expected


def test_it_fits_an_a4_page(report_file: Path, tmp_path: Path) -> None:
    png = tmp_path / "audit.png"
    result = _chromium(f"--window-size={A4_WIDTH_PX},{A4_HEIGHT_PX}", f"--screenshot={png}", report_file.as_uri())
    assert result.returncode == 0 and png.exists(), result.stderr[-500:]
    width, height, rows, step = read_png(png)
    assert (width, height) == (A4_WIDTH_PX, A4_HEIGHT_PX)
    inked = [x for row in rows for x in range(width)
             if any(channel < 235 for channel in row[x * step:x * step + 3])]
    assert inked, "nothing was drawn"
    assert max(inked) < PRINTABLE_PX, f"drawn out to x={max(inked)}: wider than the printable A4 width"
    pdf = tmp_path / "audit.pdf"
    result = _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", report_file.as_uri())
    assert result.returncode == 0 and pdf.exists(), result.stderr[-500:]
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert boxes and all((round(float(w)), round(float(h))) == A4_POINTS for w, h in boxes)
    pages = int(re.search(rb"/Count (\d+)", pdf.read_bytes()).group(1))
    assert 1 <= pages <= 3
