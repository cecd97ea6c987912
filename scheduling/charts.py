"""Geometry of the reports page's SVG charts, from already aggregated figures.

The templates draw what these functions measure; no chart library or script
is needed, and the numbers are printed in tables beside each chart.
"""

from __future__ import annotations

import math

# Colours that stay apart for colour-blind readers (Okabe and Ito).
COLOURS = {
    "completed": "#009E73",
    "no_show": "#D55E00",
    "canceled": "#CC79A7",
    "other": "#0072B2",
}


def _nice_max(value: int) -> int:
    """The axis maximum: ``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(
    items: list[tuple[str, int]], *, width: int = 560, height: int = 220
) -> dict:
    """Vertical bars for labelled counts."""
    top, bottom, left = 16, 48, 36
    plot_height = height - top - bottom
    plot_width = width - left - 8
    top_value = _nice_max(max((value for _label, value in items), default=0))
    slot = plot_width / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        bar_height = plot_height * value / top_value
        x = left + index * slot + slot * 0.15
        bars.append(
            {
                "label": label,
                "value": value,
                "x": round(x, 1),
                "y": round(top + plot_height - bar_height, 1),
                "width": round(slot * 0.7, 1),
                "height": round(bar_height, 1),
                "centre": round(x + slot * 0.35, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "axis_y": top + plot_height,
        "left": left,
        "top": top,
        "top_value": top_value,
        "label_y": top + plot_height + 16,
    }


def heatmap(grid: list[list[int]], *, days: tuple[str, ...]) -> dict:
    """One cell per weekday and hour, darker for more meetings."""
    cell, left, top = 22, 40, 20
    peak = max((count for row in grid for count in row), default=0)
    cells = []
    for day_index, row in enumerate(grid):
        for hour, count in enumerate(row):
            cells.append(
                {
                    "x": left + hour * cell,
                    "y": top + day_index * cell,
                    "count": count,
                    "day": days[day_index],
                    "hour": hour,
                    # Empty cells stay faint; the busiest is fully opaque.
                    "opacity": round(0.08 + 0.92 * count / peak, 3)
                    if peak and count
                    else 0.04,
                }
            )
    return {
        "width": left + 24 * cell + 4,
        "height": top + len(grid) * cell + 4,
        "cells": cells,
        "cell": cell - 2,
        "days": [
            {"label": day, "y": top + index * cell + cell * 0.65}
            for index, day in enumerate(days)
        ],
        "hours": [
            {"label": hour, "x": left + hour * cell + cell / 2 - 1}
            for hour in range(0, 24, 3)
        ],
        "peak": peak,
    }


def weekly_chart(weeks: list[dict], *, width: int = 720, height: int = 240) -> dict:
    """Stacked bars per week: completed, no-show, canceled, the rest."""
    top, bottom, left = 16, 40, 36
    plot_height = height - top - bottom
    plot_width = width - left - 8
    top_value = _nice_max(max((week["total"] for week in weeks), default=0))
    # A few weeks get bars of a sensible width, not the whole chart.
    slot = min(plot_width / max(len(weeks), 1), 60)
    columns = []
    for index, week in enumerate(weeks):
        other = week["total"] - week["completed"] - week["no_show"] - week["canceled"]
        x = left + index * slot + slot * 0.12
        y = top + plot_height
        parts = []
        for key, value in (
            ("completed", week["completed"]),
            ("no_show", week["no_show"]),
            ("canceled", week["canceled"]),
            ("other", other),
        ):
            part_height = plot_height * value / top_value
            y -= part_height
            if value:
                parts.append(
                    {
                        "key": key,
                        "colour": COLOURS[key],
                        "y": round(y, 1),
                        "height": round(part_height, 1),
                        "value": value,
                    }
                )
        columns.append(
            {
                "week": week["week"],
                "total": week["total"],
                "x": round(x, 1),
                "width": round(slot * 0.76, 1),
                "centre": round(x + slot * 0.38, 1),
                "parts": parts,
                # Label every week when there is room, else every fourth.
                "labelled": len(weeks) <= 14 or index % 4 == 0,
            }
        )
    return {
        "width": width,
        "height": height,
        "columns": columns,
        "axis_y": top + plot_height,
        "left": left,
        "top": top,
        "top_value": top_value,
        "label_y": top + plot_height + 16,
        "legend": [
            {"label": label, "colour": COLOURS[key]}
            for key, label in (
                ("completed", "Completed"),
                ("no_show", "No-show"),
                ("canceled", "Canceled"),
                ("other", "Scheduled or rescheduled"),
            )
        ],
    }
