"""Chart geometry for the dashboard: numbers in, coordinates out. The SVG itself is written by
the autoescaped template, so labels stay text; nothing here builds markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
COLOURS = {"cancellation": "#c0392b", "logistics_delay": "#2e86c1", "return": "#8e44ad", "quality": "#d68910",
           "technical_support": "#17a589", "other": "#7f8c8d", "none": "#bdc3c7"}


def days_between(start: date, end: date) -> list[str]:
    """Every day from start to the day before end, as ISO dates."""
    count = max(1, (end - start).days)
    return [(start + timedelta(days=n)).isoformat() for n in range(count)]


def _x(index: int, count: int) -> tuple[float, float]:
    """Left edge and width of slot `index` of `count`."""
    slot = (WIDTH - LEFT - RIGHT) / max(count, 1)
    return LEFT + index * slot, slot


def _y(value: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - (value / top) * plot if top else HEIGHT - BOTTOM


def volume_by_intent(groups: Sequence[dict[str, Any]], days: list[str], intents: Sequence[str]) -> dict[str, Any]:
    """Stacked bars: messages per day, split by intent."""
    counts = {(g["key"]["day"], g["key"]["intent"]): g["messages"] for g in groups}
    totals = [sum(counts.get((d, i), 0) for i in [*intents, "none"]) for d in days]
    top = max(totals or [0]) or 1
    bars = []
    for index, day in enumerate(days):
        left, slot = _x(index, len(days))
        base = 0
        for intent in [*intents, "none"]:
            n = counts.get((day, intent), 0)
            if n:
                y_top, y_base = _y(base + n, top), _y(base, top)
                bars.append({"x": round(left + slot * 0.1, 1), "y": round(y_top, 1), "w": round(slot * 0.8, 1),
                             "h": round(y_base - y_top, 1), "colour": COLOURS.get(intent, "#999"), "title": f"{day} {intent}: {n}"})
                base += n
    return {"bars": bars, "ticks": _ticks(days), "y_max": top, "y_top": _y(top, top), "legend": [(i, COLOURS[i]) for i in intents],
            **_frame()}


def share_line(groups: Sequence[dict[str, Any]], days: list[str], field: str, target: float) -> dict[str, Any]:
    """A line of a 0..1 share per day, with the target as a dashed line."""
    values = {g["key"]["day"]: g[field] for g in groups}
    points, dots = [], []
    for index, day in enumerate(days):
        left, slot = _x(index, len(days))
        value = values.get(day)
        if value is not None:
            x, y = round(left + slot / 2, 1), round(_y(value, 1.0), 1)
            points.append(f"{x},{y}")
            dots.append({"x": x, "y": y, "title": f"{day}: {value:.0%}"})
    return {"points": " ".join(points), "dots": dots, "target_y": round(_y(target, 1.0), 1), "target": target,
            "ticks": _ticks(days), "y_labels": [(round(_y(v, 1.0), 1), f"{v:.0%}") for v in (0, 0.5, 1.0)], **_frame()}


def rate_bars(rows: Sequence[dict[str, Any]], target: float) -> dict[str, Any]:
    """Horizontal bars: each template's dissatisfaction rate, with the target line."""
    height = 26 * max(len(rows), 1) + 30
    label_width, plot = 220, WIDTH - 220 - RIGHT
    bars = [{"y": 10 + 26 * n, "w": round(plot * r["dissatisfaction_rate"], 1), "label": r["key"]["template"],
             "text": f'{r["dissatisfaction_rate"]:.0%} of {r["votes"]}', "over": r["dissatisfaction_rate"] > target}
            for n, r in enumerate(rows)]
    return {"bars": bars, "x0": label_width, "target_x": round(label_width + plot * target, 1), "height": height,
            "width": WIDTH, "target": target}


def _ticks(days: list[str]) -> list[tuple[float, str]]:
    step = max(1, len(days) // 8)
    ticks = []
    for index in range(0, len(days), step):
        left, slot = _x(index, len(days))
        ticks.append((round(left + slot / 2, 1), days[index][5:]))
    return ticks


def _frame() -> dict[str, Any]:
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "bottom": HEIGHT - BOTTOM, "top": TOP}
