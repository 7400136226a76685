"""Charts drawn on the server as SVG, readable without JavaScript. Bar charts and the funnel are
bars inside their own table's rows (the numbers stay text beside them, readable at any screen
size); the week-by-week line chart is an image with a title and a description that says its
numbers, above the table that says them too. Colours keep 3:1 contrast against white, and the
lines differ by dash as well as by colour."""
from __future__ import annotations

from html import escape as _e

from odwolaj.edge.console.formats import cell, magnitude, number
from odwolaj.edge.console.tables import Table

COLOURS = ("#0b3d91", "#a4001d", "#1a6b2f", "#6b4c00")
DASHES = ("", "8 5", "2 4", "10 4 2 4")
WIDTH = 640


def _frame(key: str, title: str, description: str, height: int, body: str) -> str:
    return (f'<svg role="img" aria-labelledby="{key}-t {key}-d" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{key}-t">{_e(title)}</title><desc id="{key}-d">{_e(description)}</desc>{body}</svg>')


def bar(value: float, top: float, colour: int = 0) -> str:
    """A bar as wide as `value` is of `top`, filling its table cell at any screen width (the number
    is in the cell beside it, so the bar is hidden from screen readers)."""
    share = 100 * value / top if top else 0
    return (f'<svg class="bar" aria-hidden="true" focusable="false" viewBox="0 0 100 10" '
            f'preserveAspectRatio="none" width="100%" height="14"><rect width="{max(share, 0.8 if value else 0):.1f}" '
            f'height="10" fill="{COLOURS[colour % len(COLOURS)]}"/></svg>')


def bars(table: Table) -> list[str]:
    """Per row, the bar of the table's last column (a bar chart drawn inside the table)."""
    values = [magnitude(row[-1]) or 0.0 for row in table.rows]
    top = max(values, default=0.0)
    return [bar(value, top) for value in values]


def funnel(table: Table) -> list[str]:
    """Per stage, the bar of its share of the first stage."""
    values = [magnitude(row[1]) or 0.0 for row in table.rows]
    first = values[0] if values else 0.0
    return [bar(value, first, colour=index) for index, value in enumerate(values)]


def line(table: Table, series: tuple[str, ...]) -> tuple[str, str]:
    """Lines of the named columns across the rows (weeks); (the SVG, its legend as HTML)."""
    columns = [table.columns.index(name) for name in series]
    points = [[magnitude(row[c]) or 0.0 for row in table.rows] for c in columns]
    top = max((max(p, default=0.0) for p in points), default=0.0) or 1.0
    height, left, bottom, right = 260, 44, 30, 16
    plot_w, plot_h = WIDTH - left - right, height - bottom - 12
    count = max(len(table.rows) - 1, 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return left + plot_w * i / count, 12 + plot_h * (1 - value / top)

    body = [f'<line x1="{left}" y1="{12 + plot_h}" x2="{WIDTH - right}" y2="{12 + plot_h}" stroke="#3d4350"/>',
            f'<line x1="{left}" y1="12" x2="{left}" y2="{12 + plot_h}" stroke="#3d4350"/>',
            f'<text x="{left - 6}" y="{12 + plot_h}" text-anchor="end">0</text>',
            f'<text x="{left - 6}" y="20" text-anchor="end">{_e(number(top))}</text>']
    for i, row in enumerate(table.rows):
        x, _ = xy(i, 0)
        if len(table.rows) <= 8 or i in (0, len(table.rows) - 1) or i % 4 == 0:
            body.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{_e(str(row[0]).split("–")[0][:5])}'
                        "</text>")
    for s, values in enumerate(points):
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        dash = f' stroke-dasharray="{DASHES[s]}"' if DASHES[s] else ""
        body.append(f'<polyline points="{coords}" fill="none" stroke="{COLOURS[s]}" stroke-width="3"{dash}/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLOURS[s]}"/>'
                 for x, y in (xy(i, v) for i, v in enumerate(values))]
    description = "; ".join(f"{name}: " + ", ".join(cell(row[c]) for row in table.rows)
                            for name, c in zip(series, columns))
    legend = "".join(f'<li><span class="swatch s{i + 1}" aria-hidden="true"></span>{_e(name)}</li>'
                     for i, name in enumerate(series))
    svg = _frame(f"c-{table.key}", f"Wykres: {table.title}", f"Tygodnie od pierwszego: {description}", height,
                 "".join(body))
    return svg, f'<ul class="legend" aria-hidden="true">{legend}</ul>'
