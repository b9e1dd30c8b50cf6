"""Per-visit state for a Pyodide resumed from the pelican memory snapshot (py/host/make-snapshot.mjs).

A snapshot is one Python process, started at build time and resumed on every visit. Whatever that
process took from its surroundings would be the same on every visit, and the build machine's:
``thaw`` takes it again from this page. (What cannot be taken again: the str/bytes hash seed, so
set iteration order is the same on every visit. Nothing in pelican depends on it.)
"""

from __future__ import annotations

import os
import random
import time


def thaw(lang: str) -> None:
    # Otherwise every visit would draw the same "random" numbers.
    random.seed()
    os.environ["LANG"] = lang
    _take_local_timezone()


def _utc_offset_name(seconds_west: int) -> str:
    minutes = abs(seconds_west) // 60
    return f"UTC{'-' if seconds_west >= 0 else '+'}{minutes // 60:02d}{minutes % 60:02d}"


def _take_local_timezone() -> None:
    """time.timezone/altzone/daylight/tzname as a fresh start computes them here.

    CPython reads them once at start-up from C's tzset(), which Emscripten derives from the local
    offsets on 1 January and 1 July of the current year; those offsets still come live from the
    browser through localtime(), so the same rule gives the visitor's zone, not the build's.
    """
    year = time.localtime().tm_year
    winter = -time.localtime(time.mktime((year, 1, 1, 0, 0, 0, 0, 1, -1))).tm_gmtoff
    summer = -time.localtime(time.mktime((year, 7, 1, 0, 0, 0, 0, 182, -1))).tm_gmtoff
    time.timezone = max(winter, summer)
    time.altzone = time.timezone - 3600
    time.daylight = int(winter != summer)
    if summer < winter:
        time.tzname = (_utc_offset_name(winter), _utc_offset_name(summer))
    else:
        time.tzname = (_utc_offset_name(summer), _utc_offset_name(winter))
