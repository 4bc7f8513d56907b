"""Bar charts as inline SVG (a pure core: no Django, no database, no JavaScript).

The site's Content-Security-Policy forbids inline styles, so the SVG carries no ``style`` attribute
and no ``<style>`` element: colours and fonts are SVG presentation attributes (``fill="…"``), which
``charts.css`` may override through the ``chart-…`` classes. The drawing is sized in viewBox units
and scales to its container (``width="100%"``), so one chart serves a phone and a desktop.

Text widths are estimated (no fonts are measured here); the estimates are generous, so labels that
would collide are turned upright (and a little smaller) instead.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from remit.lib.money import format_cents

FONT = 12  # labels, in viewBox units
SMALL_FONT = 10.5  # the value axis, and labels turned upright between narrow bars
NOTE_FONT = 13
LEGEND_HEIGHT = 20
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

INK = "#111827"
INK_SOFT = "#4b5563"
GRID = "#e5e7eb"
AXIS = "#9ca3af"
PRIMARY = "#1d5c8d"
SECONDARY = "#7fb8e0"

# Advance widths in ems, rounded up from DejaVu Sans (one of the widest common sans-serif fonts,
# and the fallback on Linux), so labels estimated to fit do fit. Anything else counts as WIDE.
EM_WIDTHS = {
    **dict.fromkeys("'ijlIJ ,.’:;|/\\", 0.32),
    **dict.fromkeys("ft()[]-!r", 0.41),
    **dict.fromkeys('sczkvxyLF?"–“”*_`', 0.6),
    **dict.fromkeys("abdeghnopquETPSY$0123456789", 0.64),
    **dict.fromkeys("mwMW%@—…", 1.0),
}
WIDE = 0.8


@dataclass(frozen=True)
class Bar:
    label: str  # short, under the bar ("Nov 26", "31–60")
    value_cents: int
    secondary_cents: int = 0  # the part of value_cents drawn in the second colour (e.g. AutoPay)
    title: str = ""  # longer wording for the tooltip and the description; defaults to the label


@dataclass(frozen=True)
class _Layout:
    width: float
    height: float
    left: float
    top: float
    plot_width: float
    plot_height: float
    slot: float
    bar_width: float
    upright_labels: bool
    upright_values: bool

    @property
    def baseline(self) -> float:
        return self.top + self.plot_height

    def center(self, index: int) -> float:
        return self.left + self.slot * (index + 0.5)


def bar_chart_svg(
    *,
    bars: Sequence[Bar],
    title: str,
    height: int = 150,
    width: int = 320,
    x_label: str = "",
    primary_name: str = "Amount",
    secondary_name: str = "",
    empty_note: str = "Nothing yet",
    chart_id: str = "",
) -> str:
    """A complete, accessible ``<svg>`` element drawing one bar per item, with value and axis labels.

    ``width`` is the viewBox width; ``height`` is the height of the bars' area, to which the labels'
    room is added. ``secondary_name`` names the stacked part of each bar (drawn at its foot) in the
    legend and the description, and ``primary_name`` the rest of it; there is no legend without a
    ``secondary_name``, nor on an empty chart. When every value is zero the chart is flat and says
    ``empty_note``. ``chart_id`` (default: from the title) prefixes the ids of the title and the
    description, so give two charts on one page different titles or ids.
    """
    for bar in bars:
        if bar.value_cents < 0 or not 0 <= bar.secondary_cents <= bar.value_cents:
            raise ValueError(f"Bar {bar.label!r}: values must satisfy 0 <= secondary <= value.")
    chart_id = chart_id or "chart-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "bars")
    ticks = _ticks(max((bar.value_cents for bar in bars), default=0))
    empty = not any(bar.value_cents for bar in bars)
    legend = bool(secondary_name) and not empty
    layout = _layout(bars, ticks, width=width, plot_height=height, x_label=x_label, legend=legend)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {_n(layout.width)} {_n(layout.height)}" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" font-family="{_e(FONT_FAMILY)}">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(_description(bars, title, secondary_name, empty_note))}</desc>',
        *_grid(layout, ticks),
        *_bars(layout, bars, ticks[-1], secondary_name),
        _line("chart-axis", layout.left, layout.baseline, layout.left + layout.plot_width, layout.baseline, AXIS),
    ]
    if x_label:
        middle = layout.left + layout.plot_width / 2
        parts.append(_text(x_label, middle, layout.height - 6, cls="chart-axis-label", anchor="middle"))
    if legend:
        parts.extend(_legend(layout, primary_name, secondary_name))
    if empty:
        y = layout.top + layout.plot_height / 2
        note_x = layout.left + layout.plot_width / 2
        parts.append(_text(empty_note, note_x, y, cls="chart-note", anchor="middle", size=NOTE_FONT, fill=INK_SOFT))
    parts.append("</svg>")
    return "".join(parts)


# --- Layout --------------------------------------------------------------------------------------


def text_width(text: str, size: float) -> float:
    """A generous estimate of how wide ``text`` is drawn at ``size``."""
    return sum(EM_WIDTHS.get(ch, WIDE) for ch in text) * size


def _widest(texts: Sequence[str], size: float) -> float:
    return max((text_width(text, size) for text in texts), default=0)


def _ticks(max_value: int) -> list[int]:
    """Round values for the gridlines, from 0 up to at least ``max_value`` (about four steps)."""
    if max_value <= 0:
        return [0]
    raw = max_value / 4
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = -(-max_value // step) * step
    return list(range(0, top + 1, step))


def _tick_label(cents: int) -> str:
    text = format_cents(cents)
    return text.removesuffix(".00") if cents else "$0"


def _layout(
    bars: Sequence[Bar], ticks: list[int], *, width: int, plot_height: int, x_label: str, legend: bool
) -> _Layout:
    left = max(text_width(_tick_label(tick), SMALL_FONT) for tick in ticks) + 10
    plot_width = width - left - 8
    slot = plot_width / max(len(bars), 1)
    labels = [bar.label for bar in bars]
    values = [format_cents(bar.value_cents) for bar in bars if bar.value_cents]
    upright_labels = _widest(labels, FONT) > slot - 2
    upright_values = _widest(values, FONT) > slot - 2
    value_room = _widest(values, SMALL_FONT) + 8 if upright_values else FONT + 8
    label_room = _widest(labels, SMALL_FONT) + 10 if upright_labels else FONT + 10
    top = (LEGEND_HEIGHT if legend else 0) + value_room
    bottom = label_room + (FONT + 10 if x_label else 0)
    return _Layout(
        width=width,
        height=top + plot_height + bottom,
        left=left,
        top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        slot=slot,
        bar_width=min(slot * 0.7, 56),
        upright_labels=upright_labels,
        upright_values=upright_values,
    )


# --- Drawing -------------------------------------------------------------------------------------


def _grid(layout: _Layout, ticks: list[int]) -> list[str]:
    parts = ['<g class="chart-grid">']
    right = layout.left + layout.plot_width
    for tick in ticks:
        y = layout.baseline - (tick / ticks[-1] * layout.plot_height if ticks[-1] else 0)
        if tick:
            parts.append(_line("chart-gridline", layout.left, y, right, y, GRID))
        parts.append(_text(_tick_label(tick), layout.left - 5, y + SMALL_FONT * 0.35, anchor="end", size=SMALL_FONT))
    parts.append("</g>")
    return parts


def _bars(layout: _Layout, bars: Sequence[Bar], axis_max: int, secondary_name: str) -> list[str]:
    parts = ['<g class="chart-bars">']
    for index, bar in enumerate(bars):
        center = layout.center(index)
        x = center - layout.bar_width / 2
        full = _height(bar.value_cents, axis_max, layout.plot_height)
        part = _height(bar.secondary_cents, axis_max, layout.plot_height)
        parts.append(f'<g class="chart-bar"><title>{_e(_bar_sentence(bar, secondary_name))}</title>')
        if full > part:
            parts.append(_rect("chart-value", x, layout.baseline - full, layout.bar_width, full - part, PRIMARY))
        if part:
            parts.append(_rect("chart-secondary", x, layout.baseline - part, layout.bar_width, part, SECONDARY))
        if bar.value_cents:
            parts.append(_value_label(layout, center, layout.baseline - full, format_cents(bar.value_cents)))
        parts.append(_category_label(layout, center, bar.label))
        parts.append("</g>")
    parts.append("</g>")
    return parts


def _height(cents: int, axis_max: int, plot_height: float) -> float:
    if cents <= 0 or axis_max <= 0:
        return 0
    return max(cents / axis_max * plot_height, 1.5)  # a tiny amount still shows


def _value_label(layout: _Layout, center: float, bar_top: float, text: str) -> str:
    if layout.upright_values:
        x, y = center + SMALL_FONT * 0.35, bar_top - 4
        return _text(text, x, y, cls="chart-value-label", anchor="start", size=SMALL_FONT, fill=INK, rotate=True)
    return _text(text, center, bar_top - 4, cls="chart-value-label", anchor="middle", fill=INK)


def _category_label(layout: _Layout, center: float, text: str) -> str:
    if layout.upright_labels:
        x, y = center + SMALL_FONT * 0.35, layout.baseline + 6
        return _text(text, x, y, cls="chart-label", anchor="end", size=SMALL_FONT, rotate=True)
    return _text(text, center, layout.baseline + FONT + 4, cls="chart-label", anchor="middle")


def _legend(layout: _Layout, primary_name: str, secondary_name: str) -> list[str]:
    parts = ['<g class="chart-legend">']
    x = layout.left
    for name, colour, cls in ((primary_name, PRIMARY, "chart-value"), (secondary_name, SECONDARY, "chart-secondary")):
        parts.append(_rect(cls, x, 4, 10, 10, colour))
        parts.append(_text(name, x + 14, 13, anchor="start"))
        x += 14 + text_width(name, FONT) + 14
    parts.append("</g>")
    return parts


def _description(bars: Sequence[Bar], title: str, secondary_name: str, empty_note: str) -> str:
    if not any(bar.value_cents for bar in bars):
        return f"{title}: {empty_note}"
    return f"{title}. " + "; ".join(_bar_sentence(bar, secondary_name) for bar in bars) + "."


def _bar_sentence(bar: Bar, secondary_name: str) -> str:
    sentence = f"{bar.title or bar.label}: {format_cents(bar.value_cents)}"
    if secondary_name and bar.secondary_cents:
        sentence += f", of which {secondary_name} {format_cents(bar.secondary_cents)}"
    return sentence


def _rect(cls: str, x: float, y: float, width: float, height: float, fill: str) -> str:
    return (
        f'<rect class="{cls}" x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" '
        f'fill="{fill}" rx="1.5"/>'
    )


def _line(cls: str, x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    return (
        f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def _text(
    text: str,
    x: float,
    y: float,
    *,
    cls: str = "chart-text",
    anchor: str,
    size: float = FONT,
    fill: str = INK_SOFT,
    rotate: bool = False,
) -> str:
    turn = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
    return (
        f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}" '
        f'fill="{fill}"{turn}>{_e(text)}</text>'
    )


def _n(value: float) -> str:
    """A coordinate, to a tenth of a unit, without a trailing ".0"."""
    text = f"{value:.1f}"
    return text.removesuffix(".0") if text != "-0.0" else "0"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


# --- Line charts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a line chart: a value per label (e.g. a rate as a percent of its threshold)."""

    name: str
    values: Sequence[float]
    colour: str
    dash: str = ""  # an SVG stroke-dasharray, so the lines differ by more than colour


def line_chart_svg(
    *,
    labels: Sequence[str],
    lines: Sequence[Line],
    title: str,
    description: str,
    guides: Sequence[tuple[float, str]] = (),
    unit: str = "%",
    width: int = 360,
    height: int = 150,
    label_every: int = 15,
    chart_id: str = "",
) -> str:
    """A complete, accessible ``<svg>`` element drawing each line over ``labels`` (one point per
    label), dashed ``guides`` (value, name) across the plot, a legend, and every ``label_every``-th
    label ending with the last. ``description`` says in words what the chart shows (its ``<desc>``);
    the page should also carry the figures as a table."""
    for line in lines:
        if len(line.values) != len(labels):
            raise ValueError(f"Line {line.name!r}: one value per label.")
    chart_id = chart_id or "chart-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "lines")
    top_value = max([value for line in lines for value in line.values] + [value for value, _ in guides] + [0])
    ticks = _ticks(int(-(-top_value // 1)))
    axis_max = ticks[-1] or 1
    left = max(text_width(f"{tick}{unit}", SMALL_FONT) for tick in ticks) + 10
    legend_rows = _legend_rows(lines, width - left)
    top = LEGEND_HEIGHT * len(legend_rows) + 8
    plot_width = width - left - 8
    total_height = top + height + FONT + 12

    def x_at(index: int) -> float:
        return left + (plot_width * index / (len(labels) - 1) if len(labels) > 1 else plot_width / 2)

    def y_at(value: float) -> float:
        return top + height - value / axis_max * height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-lines" role="img" width="100%" '
        f'viewBox="0 0 {width} {_n(total_height)}" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" font-family="{_e(FONT_FAMILY)}">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(description)}</desc>',
        '<g class="chart-grid">',
    ]
    for tick in ticks:
        y = y_at(tick)
        if tick:
            parts.append(_line("chart-gridline", left, y, left + plot_width, y, GRID))
        parts.append(_text(f"{tick}{unit}", left - 5, y + SMALL_FONT * 0.35, anchor="end", size=SMALL_FONT))
    parts.append("</g>")
    parts.append(_line("chart-axis", left, top + height, left + plot_width, top + height, AXIS))
    parts.append('<g class="chart-guides">')
    for value, name in guides:
        y = y_at(value)
        parts.append(
            f'<line class="chart-guide" x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_width)}" y2="{_n(y)}" '
            f'stroke="{AXIS}" stroke-width="1" stroke-dasharray="3 3"/>'
        )
        parts.append(_text(name, left + plot_width - 2, y - 3, cls="chart-guide-label", anchor="end", size=SMALL_FONT))
    parts.append("</g>")
    parts.append('<g class="chart-labels">')
    for index, anchor in _spaced_labels(labels, label_every, x_at):
        parts.append(_text(labels[index], x_at(index), top + height + FONT + 4, cls="chart-label", anchor=anchor))
    parts.append("</g>")
    for number, line in enumerate(lines):
        points = " ".join(f"{_n(x_at(i))},{_n(y_at(value))}" for i, value in enumerate(line.values))
        dash = f' stroke-dasharray="{_e(line.dash)}"' if line.dash else ""
        parts.append(
            f'<polyline class="chart-line chart-line-{number}" points="{points}" fill="none" '
            f'stroke="{_e(line.colour)}" stroke-width="2" stroke-linejoin="round"{dash}/>'
        )
    parts.extend(_line_legend(legend_rows, left))
    parts.append("</svg>")
    return "".join(parts)


def _spaced_labels(labels: Sequence[str], every: int, x_at: Callable[[int], float]) -> list[tuple[int, str]]:
    """Every ``every``-th label, counted back from the last (always shown, its end at the right
    edge), less any that would touch the one to its right."""
    placed: list[tuple[int, str]] = []
    right_edge = float("inf")
    for index in range(len(labels) - 1, -1, -max(every, 1)):
        anchor = "end" if index == len(labels) - 1 else "start" if index == 0 else "middle"
        wide = text_width(labels[index], FONT)
        end = x_at(index) + {"end": 0, "middle": wide / 2, "start": wide}[anchor]
        if end + 4 > right_edge:
            continue
        placed.append((index, anchor))
        right_edge = end - wide
    return placed[::-1]


def _legend_rows(lines: Sequence[Line], room: float) -> list[list[Line]]:
    """The legend's entries, wrapped onto as many rows as ``room`` needs."""
    rows: list[list[Line]] = [[]]
    used = 0.0
    for line in lines:
        wide = 22 + text_width(line.name, FONT) + 14
        if rows[-1] and used + wide > room:
            rows.append([])
            used = 0
        rows[-1].append(line)
        used += wide
    return rows


def _line_legend(rows: list[list[Line]], left: float) -> list[str]:
    parts = ['<g class="chart-legend">']
    for row_number, row in enumerate(rows):
        x, y = left, 10 + row_number * LEGEND_HEIGHT
        for line in row:
            dash = f' stroke-dasharray="{_e(line.dash)}"' if line.dash else ""
            parts.append(
                f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" stroke="{_e(line.colour)}" '
                f'stroke-width="2"{dash}/>'
            )
            parts.append(_text(line.name, x + 22, y + FONT * 0.35, anchor="start"))
            x += 22 + text_width(line.name, FONT) + 14
    parts.append("</g>")
    return parts
