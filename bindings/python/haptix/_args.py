"""Argument checks done before anything is sent: a bad argument raises this binding's
`InvalidArgument` (or `InvalidArgumentType`, also a `TypeError`) naming the argument, instead of
a protobuf `ValueError` or a request the library refuses with a less direct message."""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional

from .errors import InvalidArgument, InvalidArgumentType, Status

UINT32_MAX = 2**32 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def invalid(message: str) -> InvalidArgument:
    """An InvalidArgument with status ERROR_INVALID_ARGUMENT."""
    return InvalidArgument(Status.ERROR_INVALID_ARGUMENT, message)


def wrong_type(name: str, expected: str, value: Any) -> InvalidArgumentType:
    """An InvalidArgumentType saying what `name` should have been."""
    return InvalidArgumentType(
        Status.ERROR_INVALID_ARGUMENT,
        f"{name} must be {expected}, got {type(value).__name__} {value!r}",
    )


def real(name: str, value: Any) -> float:
    """A finite real number (not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise wrong_type(name, "a number", value)
    result = float(value)
    if not math.isfinite(result):
        raise invalid(f"{name} must be a finite number, got {result}")
    return result


def integer(name: str, value: Any, low: int, high: int) -> int:
    """An int (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise wrong_type(name, "an integer", value)
    result = int(value)
    if not low <= result <= high:
        raise invalid(f"{name} must be between {low} and {high}, got {result}")
    return result


def uint32(name: str, value: Any) -> int:
    """An int in the range of a protobuf uint32 (device and feature indexes, durations)."""
    return integer(name, value, 0, UINT32_MAX)


def enum_value(name: str, value: Any) -> int:
    """An enum member or plain int (unknown values are left for the library to judge)."""
    return integer(name, value, 0, INT32_MAX)


def text(name: str, value: Any) -> str:
    """A str."""
    if not isinstance(value, str):
        raise wrong_type(name, "a string", value)
    return value


def timeout(name: str, value: Any) -> Optional[float]:
    """None (no limit of its own) or a positive number of seconds."""
    if value is None:
        return None
    seconds = real(name, value)
    if seconds <= 0:
        raise invalid(f"{name} must be a positive number of seconds or None, got {seconds}")
    return seconds
