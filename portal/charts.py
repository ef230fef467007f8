"""Charts drawn on the server as inline SVG, and rupiah as Indonesians write them.

``bar_chart`` computes the geometry of a horizontal grouped bar chart (budget and realisation per
category); ``templates/_bar_chart.svg.html`` draws it. Labels sit above their bars, so a long
bidang name wraps instead of squeezing the bars on a 360 px phone. ``column_chart`` does the same
for figures over time (the console's queue statistics), drawn by ``admin/stats_chart.svg.html``.
Plain Python: no Flask.
"""

import math
import textwrap
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

WIDTH = 320  # viewBox units; about one CSS pixel each on a phone
LABEL_SIZE, AMOUNT_SIZE = 14, 13  # font sizes
LABEL_LINE = 18
BAR_HEIGHT, BAR_GAP, ROW_GAP = 20, 4, 16
LEGEND_HEIGHT = 30
CHAR_WIDTH = 0.6  # of the font size: a generous average, so estimated text never overflows
LABEL_CHARS = int(WIDTH / (LABEL_SIZE * 0.62))  # bold labels run wider than amounts

# Budget: light green with a dark outline (the outline keeps it visible on white); realised: the
# brand's dark green. Text on each has a contrast of 7:1 or more.
INK, WHITE = "#1a1a1a", "#ffffff"
SERIES = {
    "budget": {"fill": "#b7dcc6", "stroke": "#0b5d3b", "ink": INK},
    "realised": {"fill": "#0b5d3b", "stroke": "#0b5d3b", "ink": WHITE},
}
UNITS = ((10**9, "M"), (10**6, "jt"), (10**3, "rb"))  # miliar, juta, ribu


def group_digits(number):
    """A whole number with Indonesian thousands dots: 1250000 → ``1.250.000``."""
    return f"{number:,}".replace(",", ".")


def rupiah(amount):
    """The full amount: ``Rp 1.250.000.000`` (``-Rp 5.000`` below zero)."""
    return f"{'-' if amount < 0 else ''}Rp {group_digits(abs(amount))}"


def decimal_text(number):
    """A Decimal the Indonesian way, without trailing zeros: 1.25 → ``1,25``, 1230 → ``1.230``."""
    whole, _, fraction = f"{number:f}".partition(".")
    fraction = fraction.rstrip("0")
    return group_digits(int(whole)) + (f",{fraction}" if fraction else "")


def short_rupiah(amount):
    """An amount in three significant digits: ``Rp 1,25 M`` (miliar), ``Rp 350 jt`` (juta),
    ``Rp 800 rb`` (ribu), ``Rp 500`` below a thousand."""
    value = abs(amount)
    text = group_digits(value)
    for size, unit in UNITS:
        number = Decimal(value) / size
        if number.is_zero():
            break
        places = max(0, 2 - number.adjusted())
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if number >= 1:  # 999.950.000 rounds to 1,00 M, so the unit is chosen after rounding
            text = f"{decimal_text(number)} {unit}"
            break
    return f"{'-' if amount < 0 else ''}Rp {text}"


def percent(value):
    """A percentage with at most one decimal, Indonesian style: ``72,5%``; ``""`` for None."""
    if value is None:
        return ""
    return f"{value:.1f}".removesuffix(".0").replace(".", ",") + "%"


@dataclass
class Bar:
    """One bar and the amount written at its end (outside when it fits, else inside)."""

    series: str  # budget or realised
    value: int
    y: float
    width: float
    text: str
    text_x: float
    text_anchor: str
    text_fill: str
    x: float = 0
    height: float = BAR_HEIGHT

    @property
    def fill(self):
        return SERIES[self.series]["fill"]

    @property
    def stroke(self):
        return SERIES[self.series]["stroke"]

    @property
    def text_y(self):
        """The amount's baseline, centred in the bar."""
        return round(self.y + (self.height + AMOUNT_SIZE * 0.7) / 2, 1)


@dataclass
class Row:
    """One category: its label's lines (baseline y, text) and its two bars."""

    label: str
    budget: int
    realised: int
    percent: str
    lines: list = field(default_factory=list)
    bars: list = field(default_factory=list)


@dataclass
class Chart:
    """A chart's size and rows, ready to draw."""

    width: int
    height: float
    rows: list
    legend_y: float = LEGEND_HEIGHT / 2
    label_size: int = LABEL_SIZE
    amount_size: int = AMOUNT_SIZE
    series: dict = field(default_factory=lambda: SERIES)


def text_width(text, size=AMOUNT_SIZE):
    """An estimate of a text's width (no font metrics on the server); errs on the wide side."""
    return len(text) * size * CHAR_WIDTH


def bar(series, value, y, scale, text):
    """A bar of ``value`` at ``y``, its amount outside its end when there is room, else inside."""
    width = round(value * scale, 2)
    if width + 4 + text_width(text) <= WIDTH:
        return Bar(series, value, y, width, text, text_x=round(width + 4, 2), text_anchor="start", text_fill=INK)
    return Bar(
        series, value, y, width, text, text_x=round(width - 4, 2), text_anchor="end", text_fill=SERIES[series]["ink"]
    )


def bar_chart(items):
    """The geometry for ``items``: (label, amounts) per category, where amounts has ``budget``,
    ``realised`` and ``percent``. Both bars of every row share one scale, so the largest value
    spans the full width."""
    largest = max([max(a.budget, a.realised) for _, a in items], default=0)
    scale = WIDTH / largest if largest else 0
    y = LEGEND_HEIGHT
    rows = []
    for label, amounts in items:
        budget, realised = amounts.budget, amounts.realised
        row = Row(label, budget, realised, percent(amounts.percent))
        for text in textwrap.wrap(label, LABEL_CHARS) or [""]:
            y += LABEL_LINE
            row.lines.append((y - 4, text))
        y += 4
        row.bars.append(bar("budget", budget, y, scale, short_rupiah(budget)))
        y += BAR_HEIGHT + BAR_GAP
        realised_text = short_rupiah(realised) + (f" · {row.percent}" if row.percent else "")
        row.bars.append(bar("realised", realised, y, scale, realised_text))
        y += BAR_HEIGHT + ROW_GAP
        rows.append(row)
    return Chart(WIDTH, y - ROW_GAP + 4, rows)


# -- column charts: figures over time (the console's statistics) ---------------------------

COLUMN_WIDTH = 640  # viewBox units: the console is read on an office screen
PLOT_HEIGHT = 180
AXIS_SIZE = 12  # font size of the axes and the legend
PLOT_LEFT, PLOT_TOP = 44, 34  # room for the value axis's labels, and the legend above the plot
# One colour per series, each with a darker outline that keeps a light fill visible on white.
PALETTE = (
    {"fill": "#b7dcc6", "stroke": "#0b5d3b"},
    {"fill": "#0b5d3b", "stroke": "#0b5d3b"},
    {"fill": "#f3c98b", "stroke": "#8a4b00"},
)


@dataclass
class Column:
    """One value's column, coloured as its series in PALETTE; ``text`` is the value as people read
    it ("—" for none)."""

    series: int
    value: float | None
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass
class Slot:
    """One period on the time axis: its label (drawn under the columns when ``shown``), its full
    name (for the description read out by screen readers) and its columns."""

    label: str
    title: str
    x: float  # the label's centre
    shown: bool
    columns: list


@dataclass
class ColumnChart:
    """A column chart's size, value axis (``ticks``: baseline y and text), legend and slots."""

    width: int
    height: float
    names: list
    legend: list  # (x, series index, name)
    ticks: list
    slots: list
    plot_left: float = PLOT_LEFT
    plot_bottom: float = PLOT_TOP + PLOT_HEIGHT
    font_size: int = AXIS_SIZE

    @property
    def palette(self):
        return PALETTE


def nice_step(largest, whole):
    """A step of 1, 2 or 5 times a power of ten that covers ``largest`` in at most four steps
    (at least 1 for counts: ``whole``)."""
    if largest <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(largest / 4))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude * 4 >= largest)
    return max(step, 1) if whole else step


def column_chart(labels, series, text=str, whole=True, titles=None):
    """The geometry of a grouped column chart: one slot per label (a period), one column per
    series in each. ``series`` is ``[(name, values)]`` with a value per label (None: no data);
    ``text`` writes a value (axis and description); ``whole``: the values are counts; ``titles``:
    the periods' full names for the description (the labels when not given)."""
    values = [v for _, vs in series for v in vs if v is not None]
    step = nice_step(max(values, default=0), whole)
    top = step * max(1, math.ceil(max(values, default=0) / step))
    plot_width = COLUMN_WIDTH - PLOT_LEFT
    bottom = PLOT_TOP + PLOT_HEIGHT
    ticks = [(round(bottom - n * step / top * PLOT_HEIGHT, 2), text(n * step)) for n in range(round(top / step) + 1)]
    slot_width = plot_width / max(len(labels), 1)
    column_width = round(slot_width * 0.8 / max(len(series), 1), 2)
    # Every label when they fit, else every second or third (all of them stay in the description).
    every = math.ceil(max((text_width(label, AXIS_SIZE) + 6 for label in labels), default=0) / slot_width) or 1
    slots = []
    for i, label in enumerate(labels):
        left = PLOT_LEFT + i * slot_width + slot_width * 0.1
        columns = []
        for j, (_, vs) in enumerate(series):
            value = vs[i]
            height = round((value or 0) / top * PLOT_HEIGHT, 2)
            x = round(left + j * column_width, 2)
            shown = "—" if value is None else text(value)
            columns.append(Column(j, value, shown, x=x, y=round(bottom - height, 2), width=column_width, height=height))
        title = titles[i] if titles else label
        slots.append(Slot(label, title, round(PLOT_LEFT + (i + 0.5) * slot_width, 2), i % every == 0, columns))
    legend, legend_x = [], PLOT_LEFT
    for j, (name, _) in enumerate(series):
        legend.append((legend_x, j, name))
        legend_x += 20 + text_width(name, AXIS_SIZE) + 16
    return ColumnChart(COLUMN_WIDTH, bottom + AXIS_SIZE + 10, [name for name, _ in series], legend, ticks, slots)
