"""Parsing text that came from outside (files, LLM replies) without letting it hurt us.

In Pyodide, json.loads of ~10^4 nested brackets overflows the JavaScript stack and kills the
interpreter outright instead of raising RecursionError, so nesting is bounded before parsing.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 64
_JSON_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|[\[\]{}]')


class TooDeep(ValueError):
    """JSON nested deeper than MAX_JSON_DEPTH."""


def check_json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    if text.count("[") + text.count("{") <= limit:
        return  # cannot be deeper than that; skip the scan
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                raise TooDeep(f"JSON nested more than {limit} levels deep")
        elif c in "]}":
            depth -= 1


def loads(text: str) -> Any:
    """json.loads with bounded nesting; ValueError (TooDeep or JSONDecodeError) when refused."""
    check_json_depth(text)
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None
