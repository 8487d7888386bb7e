"""The model page's plots as SVG drawn on the server from the card's curve points: no script, no image files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SIZE = 160  # the plot's square, in SVG units; the page scales it


@dataclass(frozen=True, slots=True)
class Plot:
    title: str
    x_label: str
    y_label: str
    points: str  # "x,y x,y ..." in SVG coordinates, for a <polyline>
    diagonal: bool  # draw the chance (ROC) or perfect-calibration line


def _polyline(pairs: Sequence[Sequence[float]]) -> str:
    # SVG's y grows downwards; the plot's grows upwards.
    return " ".join(f"{x * SIZE:.1f},{(1 - y) * SIZE:.1f}" for x, y, *_ in pairs)


def head_plots(head: str, curves: dict[str, list[list[float]]]) -> list[Plot]:
    """ROC, precision-recall and reliability plots of one head; none when the card has no curves."""
    if not curves:
        return []
    return [
        Plot(f"{head}: ROC", "false positive rate", "true positive rate", _polyline(curves["roc"]), diagonal=True),
        Plot(f"{head}: precision-recall", "recall", "precision", _polyline(curves["pr"]), diagonal=False),
        Plot(f"{head}: calibration", "mean score", "share bad", _polyline(curves["calibration"]), diagonal=True),
    ]
