"""Charts as inline SVG, drawn on the server: the same markup serves the PDF bulletin and web pages.

No JavaScript and no image files: a chart is a string of SVG that WeasyPrint
draws into the PDF and a browser draws in a page. Labels are escaped here, so
a unit or task name can never inject markup.
"""
import unicodedata

from markupsafe import Markup, escape

RED = "#c8161d"  # the official red of the masthead, for bars below the line
BAR = "#3b5b8c"
GRID = "#b8b8b8"
TEXT = "#222222"
GENERIC_FONT = "sans-serif"


def text_width(text, font_size):
    """Rough width of a label in user units: full-width (CJK) characters one em, others half."""
    return sum(font_size if unicodedata.east_asian_width(ch) in "WF" else font_size * 0.55 for ch in text)


def fit_label(text, max_width, font_size):
    """The label, cut with an ellipsis so it fits `max_width`."""
    text = " ".join(str(text).split())
    if text_width(text, font_size) <= max_width:
        return text
    while text and text_width(text + "…", font_size) > max_width:
        text = text[:-1]
    return text + "…"


def percent(value):
    """A fraction as a percentage with one decimal: 0.8571 -> 85.7%."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _clamp(value):
    """The value forced into 0..1 (None stays None: no data)."""
    if value is None:
        return None
    return min(1.0, max(0.0, float(value)))


def _attr(value):
    """An SVG attribute value, escaped."""
    return escape(str(value))


ZERO_MARK = 4.0  # width of the marker drawn for a bar too short to see


def bar_chart_svg(items, title=None, *, font_family=None, average=None, average_label=None, width=600,
                  row_height=22, font_size=11, label_width=None, value_format=percent, below_average_red=True):
    """A horizontal bar chart of fractions (0..1) as inline SVG Markup.

    `items`: (label, value) pairs in the order to draw, value None meaning "no
    figure"; `average`: draws a dashed line there and colours bars below it red
    (`below_average_red`); `font_family`: a CSS font-family list that names a
    font with Chinese glyphs (the PDF passes its configured CJK font).
    """
    items = [(str(label), _clamp(value)) for label, value in items]
    family = font_family or GENERIC_FONT
    label_width = label_width or min(width * 0.3, max([text_width(label, font_size) for label, _ in items] + [40]) + 8)
    value_width = text_width("100.0%", font_size) + 8
    top = (font_size * 2.4 if title else font_size * 0.8) + font_size * 1.4  # title, then the axis labels
    plot_left = label_width + 6
    plot_width = max(50.0, width - plot_left - value_width)
    height = top + max(1, len(items)) * row_height + font_size
    average = _clamp(average)

    def x(fraction):
        return plot_left + plot_width * fraction

    parts = [(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" font-family="{_attr(family)}" font-size="{font_size:g}">'
    )]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
        parts.append(f'<text x="{width / 2:g}" y="{font_size * 1.5:g}" text-anchor="middle" '
                     f'font-size="{font_size * 1.25:g}" fill="{TEXT}">{escape(title)}</text>')
    axis_y = top - font_size * 0.5
    grid_bottom = top + max(1, len(items)) * row_height
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top - 2:g}" x2="{x(tick):.1f}" y2="{grid_bottom:g}" '
                     f'stroke="{GRID}" stroke-width="0.5"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{axis_y:g}" text-anchor="middle" fill="{TEXT}" '
                     f'font-size="{font_size * 0.85:g}">{int(tick * 100)}%</text>')
    if not items:
        parts.append(f'<text x="{x(0.5):.1f}" y="{top + row_height * 0.65:g}" text-anchor="middle" '
                     f'fill="{TEXT}">—</text>')
    for index, (label, value) in enumerate(items):
        y = top + index * row_height
        middle = y + row_height / 2 + font_size * 0.35
        shown = fit_label(label, label_width, font_size)
        parts.append(f'<text x="{label_width:g}" y="{middle:.1f}" text-anchor="end" fill="{TEXT}">'
                     f"<title>{escape(label)}</title>{escape(shown)}</text>")
        below = below_average_red and average is not None and value is not None and value < average
        marker = 0.0
        if value is not None:
            bar_width = plot_width * value
            parts.append(f'<rect class="bar{" below" if below else ""}" x="{plot_left:g}" '
                         f'y="{y + row_height * 0.18:.1f}" width="{bar_width:.2f}" height="{row_height * 0.64:.1f}" '
                         f'fill="{RED if below else BAR}"/>')
            if bar_width < ZERO_MARK:
                # A bar too short to see (0 %) still shows its colour: a small square at the axis.
                marker = ZERO_MARK
                parts.append(f'<rect class="zero-mark" x="{plot_left:g}" y="{y + row_height * 0.18:.1f}" '
                             f'width="{ZERO_MARK:g}" height="{row_height * 0.64:.1f}" fill="{RED if below else BAR}"/>')
        parts.append(f'<text x="{max(x(value or 0), plot_left + marker) + 4:.1f}" y="{middle:.1f}" '
                     f'fill="{RED if below else TEXT}">{escape(value_format(value))}</text>')
    if average is not None:
        parts.append(f'<line class="average" x1="{x(average):.1f}" y1="{top - 2:g}" x2="{x(average):.1f}" '
                     f'y2="{grid_bottom:g}" stroke="{RED}" stroke-width="1" stroke-dasharray="4 3"/>')
        label = f"{average_label or ''} {value_format(average)}".strip()
        parts.append(f'<text x="{x(average):.1f}" y="{grid_bottom + font_size * 0.95:g}" text-anchor="middle" '
                     f'fill="{RED}" font-size="{font_size * 0.85:g}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
