"""Runs the unittest modules of tests/py inside Pyodide, awaiting ``async def`` tests.

unittest's own async support starts a fresh event loop per test, which Pyodide's single
browser-style loop cannot do; here each test method is awaited on the running loop instead.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import time
import traceback
import unittest


async def _maybe_await(value):
    if inspect.isawaitable(value):
        await value


async def _run_one(case: unittest.TestCase) -> tuple[str, str]:
    method = getattr(case, case._testMethodName)
    try:
        await _maybe_await(case.setUp())
        if hasattr(case, "asyncSetUp"):
            await case.asyncSetUp()
        try:
            await _maybe_await(method())
        finally:
            if hasattr(case, "asyncTearDown"):
                await case.asyncTearDown()
            await _maybe_await(case.tearDown())
            # addCleanup callbacks, awaited when they are coroutines.
            while case._cleanups:
                fn, args, kwargs = case._cleanups.pop()
                await _maybe_await(fn(*args, **kwargs))
    except unittest.SkipTest as e:
        return "skipped", str(e)
    except Exception:
        return "failed", traceback.format_exc()
    return "passed", ""


def _cases(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _cases(item)
        else:
            yield item


async def run(test_dir: str, name_filter: str = "") -> dict:
    sys.path.insert(0, test_dir)
    loader = unittest.TestLoader()
    results = {"passed": 0, "failed": 0, "skipped": 0, "tests": []}
    modules = sorted(f[:-3] for f in os.listdir(test_dir) if f.startswith("test_") and f.endswith(".py"))
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except Exception:
            results["failed"] += 1
            results["tests"].append({"name": module_name, "status": "failed", "detail": traceback.format_exc()})
            print(f"FAIL  {module_name} (import)\n{traceback.format_exc()}")
            continue
        for case in _cases(loader.loadTestsFromModule(module)):
            name = case.id()
            if name_filter and name_filter not in name:
                continue
            started = time.perf_counter()
            status, detail = await _run_one(case)
            ms = (time.perf_counter() - started) * 1000
            results[status] += 1
            results["tests"].append({"name": name, "status": status, "ms": round(ms, 1), "detail": detail})
            mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}[status]
            print(
                f"{mark}  {name} ({ms:.0f} ms)"
                + (f"\n{detail}" if status == "failed" else f"  {detail}" if detail else "")
            )
    return results
