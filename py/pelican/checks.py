"""Checks shared by the option records (GreedyOptions, RefineOptions, VectorizeOptions): one wording for one rule."""

from __future__ import annotations

from typing import Any


def whole_numbers(options: Any, names: tuple[str, ...], minimum: int) -> None:
    for name in names:
        value = getattr(options, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value!r}")


def numbers(options: Any, names: tuple[str, ...], low: float, high: float) -> None:
    for name in names:
        value = getattr(options, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"{name}: expected a number in [{low:g}, {high:g}], got {value!r}")


def learning_rate(lr: Any) -> None:
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
        raise ValueError(f"lr: {lr!r} is outside (0, 1)")
