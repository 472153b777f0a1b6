"""Charts drawn on the server as SVG geometry: no JavaScript, no CDN, nothing to load but the page.

A chart here is plain data (rectangles, polylines, ticks, legend); the
template draws it. Every mark has a ``title`` (the browser shows it on hover)
and, where a list stands behind it, an ``href`` to the filtered admin list.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 640, 170
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 8, 22
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
ROW_HEIGHT = 22


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    color: str


@dataclass
class Mark:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str
    href: str = ""


@dataclass
class Line:
    name: str
    color: str
    points: str
    dots: list = field(default_factory=list)  # Marks of zero size: their titles give the numbers on hover


@dataclass
class LegendEntry:
    name: str
    color: str
    total: str
    href: str = ""


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "bars", "lines" or "ranking"
    href: str = ""
    marks: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    legend: list = field(default_factory=list)
    x_ticks: list = field(default_factory=list)  # (x, label)
    y_ticks: list = field(default_factory=list)  # (y, label)
    rows: list = field(default_factory=list)  # ranking: (y, label, href, highlighted)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def points(self):
        """How many data points it draws (bars' segments, lines' points): what the browser test counts."""
        return len(self.marks) + sum(len(line.dots) for line in self.lines)

    @property
    def empty(self):
        return not self.points

    @property
    def svg(self):
        """The chart as SVG markup: written here rather than in a template loop, a chart has ~1,000 marks."""
        parts = [f'<svg viewBox="0 0 {self.width} {self.height}" role="img" aria-label="{escape(self.title)}">']
        for y, label in self.y_ticks:
            parts.append(
                f'<line class="dash-grid-line" x1="{self.left}" x2="{self.plot_right}" y1="{y}" y2="{y}"/>'
                f'<text class="dash-tick" x="{self.left - 4}" y="{y}" text-anchor="end" dominant-baseline="middle">'
                f"{escape(label)}</text>"
            )
        for x, label in self.x_ticks:
            parts.append(f'<text class="dash-tick" x="{x}" y="{self.height - 6}">{escape(label)}</text>')
        for y, label, href, highlighted in self.rows:
            css = "dash-row dash-highlighted" if highlighted else "dash-row"
            text = escape(label if len(label) <= 28 else label[:27] + "…")
            parts.append(
                f'<a href="{escape(href)}"><text class="{css}" x="{self.left - 6}" y="{y}" text-anchor="end">'
                f"{text}</text></a>"
            )
        for mark in self.marks:
            rect = (
                f'<rect class="dash-mark" x="{mark.x}" y="{mark.y}" width="{mark.width}" height="{mark.height}" '
                f'fill="{mark.color}"><title>{escape(mark.title)}</title></rect>'
            )
            parts.append(f'<a href="{escape(mark.href)}">{rect}</a>' if mark.href else rect)
        for line in self.lines:
            parts.append(f'<polyline class="dash-line" points="{line.points}" stroke="{line.color}"/>')
            for dot in line.dots:
                parts.append(
                    f'<circle class="dash-mark" cx="{dot.x}" cy="{dot.y}" r="3" fill="{dot.color}">'
                    f"<title>{escape(dot.title)}</title></circle>"
                )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # every interpolated text above is escaped


def stacked_bars(chart_id, title, window, starts, values, series, *, href="", href_for=None):
    """One bar per step, stacked by series; ``values`` is ``{(step start, series key): n}``."""
    chart = Chart(chart_id, title, "bars", href=href)
    totals = [sum(values.get((start, one.key), 0) for one in series) for start in starts]
    top = _nice_max(max(totals, default=0))
    slot = PLOT_WIDTH / max(len(starts), 1)
    when = _when(starts, window)
    for index, start in enumerate(starts):
        y = TOP + PLOT_HEIGHT
        for one in series:
            n = values.get((start, one.key), 0)
            if not n:
                continue
            height = PLOT_HEIGHT * n / top
            y -= height
            chart.marks.append(
                Mark(
                    x=round(LEFT + index * slot + slot * 0.1, 2),
                    y=round(y, 2),
                    width=round(max(slot * 0.8, 1), 2),
                    height=round(max(height, 0.5), 2),
                    color=one.color,
                    title=f"{when[start]}: {n:,} {one.name}",
                    href=href_for(start, one.key) if href_for else "",
                )
            )
    for one in series:
        total = sum(values.get((start, one.key), 0) for start in starts)
        if total:
            chart.legend.append(LegendEntry(one.name, one.color, f"{total:,}"))
    chart.x_ticks = _time_ticks(starts, slot, window)
    chart.y_ticks = _value_ticks(top, lambda value: f"{value:,g}")
    return chart


def lines(chart_id, title, window, starts, values, series, *, href="", y_max=None, y_format=str):
    """One line per series; ``values`` is ``{(step start, series key): number}``, gaps where missing."""
    chart = Chart(chart_id, title, "lines", href=href)
    present = [value for value in values.values() if value is not None]
    top = y_max if y_max is not None else _nice_max(max(present, default=0))
    slot = PLOT_WIDTH / max(len(starts), 1)
    when = _when(starts, window)
    for one in series:
        points, dots = [], []
        for index, start in enumerate(starts):
            value = values.get((start, one.key))
            if value is None:
                continue
            x = round(LEFT + index * slot + slot / 2, 2)
            y = round(TOP + PLOT_HEIGHT - PLOT_HEIGHT * min(value, top) / top, 2)
            points.append(f"{x},{y}")
            dots.append(Mark(x, y, 0, 0, one.color, f"{when[start]}: {one.name} {y_format(value)}"))
        if dots:
            chart.lines.append(Line(one.name, one.color, " ".join(points), dots))
            chart.legend.append(LegendEntry(f"{one.name}, latest", one.color, y_format(_last(values, starts, one.key))))
    chart.x_ticks = _time_ticks(starts, slot, window)
    chart.y_ticks = _value_ticks(top, y_format)
    return chart


def ranking(chart_id, title, rows, series, *, href=""):
    """Horizontal stacked bars, one row per item: ``rows`` is ``[(label, {series key: n}, href, highlighted)]``."""
    chart = Chart(chart_id, title, "ranking", href=href)
    top = _nice_max(max((sum(counts.values()) for _, counts, _, _ in rows), default=0))
    label_width = 220
    plot_width = WIDTH - label_width - RIGHT
    chart.left = label_width
    for index, (label, counts, row_href, highlighted) in enumerate(rows):
        y = TOP + index * ROW_HEIGHT
        chart.rows.append((y + ROW_HEIGHT * 0.65, label, row_href, highlighted))
        x = label_width
        for one in series:
            n = counts.get(one.key, 0)
            if not n:
                continue
            width = plot_width * n / top
            title = f"{label}: {n:,} {one.name}"
            bar = Mark(round(x, 2), y + 3, round(max(width, 1), 2), ROW_HEIGHT - 6, one.color, title, row_href)
            chart.marks.append(bar)
            x += width
    for one in series:
        total = sum(counts.get(one.key, 0) for _, counts, _, _ in rows)
        if total:
            chart.legend.append(LegendEntry(one.name, one.color, f"{total:,}"))
    chart.height = TOP + max(len(rows), 1) * ROW_HEIGHT + 4
    chart.plot_bottom = chart.height - 4
    return chart


def _last(values, starts, key):
    return next(values[(start, key)] for start in reversed(starts) if values.get((start, key)) is not None)


def _nice_max(value):
    """A round axis top at or above value: 1, 2, 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    for factor in (1, 2, 5, 10):
        if value <= factor * power:
            return factor * power
    return 10 * power


def _value_ticks(top, fmt):
    return [(round(TOP + PLOT_HEIGHT - PLOT_HEIGHT * fraction, 2), fmt(top * fraction)) for fraction in (0, 0.5, 1)]


def _time_ticks(starts, slot, window):
    return [
        (round(LEFT + index * slot, 2), _local(start).strftime(window.tick_format))
        for index, start in enumerate(starts)
        # A label needs room to its right: none on the plot's last few pixels.
        if start % window.tick == 0 and index * slot < PLOT_WIDTH - 30
    ]


def _when(starts, window):
    """{step start: "Tue 01 Dec 10:00–10:15"}, computed once per chart, not once per mark."""
    labels = {}
    for start in starts:
        begin, end = _local(start), _local(start + window.step)
        labels[start] = f"{begin:%a %d %b %H:%M}–{end:%H:%M}"
    return labels


def _local(start):
    return timezone.localtime(datetime.fromtimestamp(start, UTC))
