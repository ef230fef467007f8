"""Charts drawn on the server as inline SVG, and rupiah as Indonesians write them.

``bar_chart`` computes the geometry of a horizontal grouped bar chart (budget and realisation per
category); ``templates/_bar_chart.svg.html`` draws it. Labels sit above their bars, so a long
bidang name wraps instead of squeezing the bars on a 360 px phone. Plain Python: no Flask.
"""

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
