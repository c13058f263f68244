"""Bar and line charts drawn on the server as SVG geometry (the template draws it): no script,
no chart library, and they print as they look. A hidden count (the string "x") draws no bar
or point, only its text."""

from dataclasses import dataclass

WIDTH = 640
ROW = 22  # height of one bar of a horizontal chart
LABEL_WIDTH = 170
VALUE_WIDTH = 60
PLOT_HEIGHT = 180
MARGIN = 24


@dataclass(frozen=True)
class Mark:
    label: str
    text: str  # the value as shown
    x: float
    y: float
    width: float = 0
    height: float = 0


@dataclass(frozen=True)
class Chart:
    kind: str  # "bars", "columns" or "line"
    width: int
    height: int
    marks: tuple[Mark, ...]
    path: str = ""  # the line through the shown points

    @property
    def baseline(self) -> float:
        return self.height - MARGIN


def _scale(values: list[object]) -> float:
    counted = [value for value in values if isinstance(value, int | float)]
    return max([*counted, 1])


def bar_chart(labels: list[str], values: list[object], vertical: bool = False) -> Chart:
    """Horizontal bars, one row per label; `vertical` draws columns instead (for many labels)."""
    top = _scale(values)
    if vertical:
        return _columns(labels, values, top)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    marks = tuple(
        Mark(
            label,
            str(value),
            LABEL_WIDTH,
            index * ROW + 2,
            plot * value / top if isinstance(value, int | float) else 0,
            ROW - 6,
        )
        for index, (label, value) in enumerate(zip(labels, values, strict=True))
    )
    return Chart("bars", WIDTH, len(labels) * ROW + 4, marks)


def _columns(labels: list[str], values: list[object], top: float) -> Chart:
    step = (WIDTH - 2 * MARGIN) / max(len(labels), 1)
    height = PLOT_HEIGHT + 2 * MARGIN
    marks = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar = PLOT_HEIGHT * value / top if isinstance(value, int | float) else 0
        marks.append(
            Mark(label, str(value), MARGIN + index * step + 2, height - MARGIN - bar, step - 4, bar)
        )
    return Chart("columns", WIDTH, height, tuple(marks))


def line_chart(labels: list[str], values: list[object]) -> Chart:
    """Points joined by a line; a hidden count breaks the line."""
    top = _scale(values)
    step = (WIDTH - 2 * MARGIN) / max(len(labels) - 1, 1)
    height = PLOT_HEIGHT + 2 * MARGIN
    marks, path, pen_down = [], [], False
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = MARGIN + index * step
        shown = isinstance(value, int | float)
        y = height - MARGIN - (PLOT_HEIGHT * value / top if shown else 0)
        marks.append(Mark(label, str(value), x, y))
        if shown:
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = shown
    return Chart("line", WIDTH, height, tuple(marks), " ".join(path))
