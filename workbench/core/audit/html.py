"""The audit report as one HTML document a coding manager can send.

Self-contained (no scripts, fonts, images or links to fetch: the chart is inline SVG),
laid out for A4 (``@page`` A4 with 15 mm margins; tables never wider than the page;
rows are not split across pages), and readable without colour: every bar carries its
percentage, and the targets are drawn as labelled lines. Every stored text is escaped.
"""

from __future__ import annotations

import html

from workbench.core.audit.compare import KIND_TITLES, TYPE_TITLES
from workbench.core.audit.report import ERROR_TITLES, TARGETS, Accuracy, AuditReport

_CSS = """
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #111;
       margin: 0; max-width: 180mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 6mm 0 2mm; }
p.meta { margin: 0 0 1mm; color: #333; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin-bottom: 3mm; }
th, td { border: 0.3mm solid #999; padding: 1mm 1.5mm; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #e8e8e8; } td.num { text-align: right; }
tr { break-inside: avoid; page-break-inside: avoid; }
.level { font-weight: bold; } .below { color: #a00000; }
svg { display: block; width: 100%; height: auto; }
table.differences { font-size: 8.5pt; }
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}%"


def chart(accuracy: Accuracy) -> str:
    """Bars of accuracy per code type, 0-100%, with the Level 2 and Level 3 targets marked."""
    width, row, left, bar_w = 680, 44, 170, 420
    height = row * len(accuracy.types) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Accuracy per code type against the attainment targets">']
    for i, t in enumerate(accuracy.types):
        y = 10 + i * row
        parts.append(f'<text x="0" y="{y + 18}" font-size="13">{_e(TYPE_TITLES[t.code_type])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{bar_w}" height="20" fill="#f2f2f2" stroke="#999"/>')
        if t.percent is not None:
            filled = bar_w * t.percent / 100
            parts.append(f'<rect x="{left}" y="{y + 4}" width="{filled:.1f}" height="20" fill="#4a6fa5"/>')
        parts.append(f'<text x="{left + bar_w + 6}" y="{y + 19}" font-size="12">{_e(_percent(t.percent))}</text>')
        for level, dash in (("Level 2", "4 2"), ("Level 3", "")):
            x = left + bar_w * TARGETS[level][t.code_type] / 100
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 28}" stroke="#c00000" '
                         f'stroke-width="2"{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>')
        parts.append(f'<text x="{left}" y="{y + 38}" font-size="10" fill="#555">targets: Level 2 '
                     f'{TARGETS["Level 2"][t.code_type]:.0f}% (dashed), Level 3 '
                     f'{TARGETS["Level 3"][t.code_type]:.0f}% (solid)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _accuracy_table(groups: list[Accuracy], first: str) -> str:
    head = "".join(f"<th>{_e(TYPE_TITLES[t.code_type])}</th>" for t in groups[0].types) if groups else ""
    rows = []
    for g in groups:
        cells = "".join(f'<td class="num">{_percent(t.percent)}<br><small>{t.right}/{t.counted}</small></td>'
                        for t in g.types)
        rows.append(f"<tr><td>{_e(g.name)}</td><td class=\"num\">{g.episodes}</td>{cells}"
                    f"<td class=\"level{' below' if g.level.startswith('below') else ''}\">{_e(g.level)}</td></tr>")
    return (f"<table><thead><tr><th>{_e(first)}</th><th>episodes</th>{head}<th>level</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def render(report: AuditReport) -> str:
    o = report.overall
    summary = "".join(
        f"<tr><td>{_e(TYPE_TITLES[t.code_type])}</td><td class=\"num\">{t.right}</td>"
        f"<td class=\"num\">{t.counted}</td><td class=\"num\">{_percent(t.percent)}</td>"
        f"<td class=\"num\">{TARGETS['Level 2'][t.code_type]:.0f}% / {TARGETS['Level 3'][t.code_type]:.0f}%</td>"
        f"<td class=\"level{' below' if t.level.startswith('below') else ''}\">{_e(t.level)}</td></tr>"
        for t in o.types)
    differences = "".join(
        f"<tr><td class=\"num\">{d.position}</td><td class=\"num\">{d.episode_id}</td><td>{_e(d.coder)}</td>"
        f"<td>{_e(TYPE_TITLES[d.code_type])}</td><td>{_e(KIND_TITLES[d.kind])}</td><td>{_e(d.original or '–')}</td>"
        f"<td>{_e(d.audit or '–')}</td><td>{_e(ERROR_TITLES.get(d.error_type or '', '–'))}</td>"
        f"<td>{_e('–' if d.agreed is None else ('yes' if d.agreed else 'no'))}</td><td>{_e(d.note or '')}</td></tr>"
        for d in report.differences) or '<tr><td colspan="10">No differences.</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Clinical coding audit: {_e(report.name)}</title>
<style>{_CSS}</style></head>
<body>
<h1>Clinical coding audit: {_e(report.name)}</h1>
<p class="meta">Sample {report.sample_id}: {_e(report.method)}. Drawn by {_e(report.drawn_by)} on {_e(report.drawn_at[:10])}.</p>
<p class="meta">{report.audited} of {report.sampled} episodes audited by {_e(', '.join(report.auditors) or '–')},
blind, by the NHS clinical coding audit method (primary codes by position, secondary codes as sets).</p>
<p class="meta">Attainment level reached: <span class="level">{_e(o.level)}</span>.</p>
<h2>Accuracy per code type</h2>
<table><thead><tr><th>code type</th><th>right</th><th>counted</th><th>accuracy</th>
<th>targets L2 / L3</th><th>level</th></tr></thead><tbody>{summary}</tbody></table>
{chart(o)}
<h2>By coder</h2>
{_accuracy_table(report.by_coder, "coder")}
<h2>By specialty</h2>
{_accuracy_table(report.by_specialty, "specialty")}
<h2>Differences ({len(report.differences)})</h2>
<table class="differences"><thead><tr><th style="width:5%">#</th><th style="width:10%">episode</th><th style="width:11%">coder</th>
<th style="width:13%">code type</th><th style="width:12%">difference</th><th style="width:8%">coded</th>
<th style="width:8%">audit</th><th style="width:11%">error type</th><th style="width:8%">agreed</th>
<th style="width:13%">note</th></tr></thead><tbody>{differences}</tbody></table>
</body></html>
"""
