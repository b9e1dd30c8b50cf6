"""The boundary to JavaScript: only pelican._host crosses it, the protocol's constants are the
host's, and a page run's progress relay is handed to the host rather than called from Python."""

import ast
import json
import os
import unittest

import pelican
import pelican_host  # type: ignore[import-not-found]  # registered by py/host/node.mjs (createHost)
from helpers import disc_target
from pelican import Engine, Scene, _host, engine

PACKAGE = os.path.dirname(pelican.__file__)


def sources():
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    yield os.path.relpath(path, PACKAGE), ast.parse(f.read(), path)


def imported(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""


class Boundary(unittest.TestCase):
    def test_only_the_host_module_imports_javascript(self):
        crossing = []
        for path, tree in sources():
            for level, module in imported(tree):
                root = module.split(".")[0]
                if level == 0 and root in ("js", "pyodide", "pelican_host") and path != "_host.py":
                    crossing.append(f"{path}: {module}")
        self.assertEqual(crossing, [])

    def test_the_cli_modules_do_not_import_each_other_both_ways(self):
        trees = dict(sources())
        llm_cli = {(level, module) for level, module in imported(trees[os.path.join("llm", "cli.py")])}
        self.assertNotIn((2, "cli"), llm_cli)
        self.assertNotIn((0, "pelican.cli"), llm_cli)

    def test_the_protocol_constants_are_the_hosts(self):
        handed = json.loads(str(pelican_host.protocol))
        self.assertEqual(engine.BREAKDOWN_KEYS, tuple(handed["breakdownKeys"]))
        self.assertEqual(engine.DEFAULT_WEIGHTS, handed["defaultWeights"])
        names = handed["errorNames"]
        self.assertEqual(
            _host.protocol().errors,
            {
                names["engine"]: pelican.EngineError,
                names["crashed"]: pelican.EngineCrashed,
                names["aborted"]: pelican.Cancelled,
            },
        )


class RunRelay(unittest.TestCase):
    async def test_a_relay_goes_to_the_host_not_back_into_python(self):
        # Node's host has no page to relay to: the host itself refuses, so the relay reached it.
        async with await Engine.borrow(disc_target()) as e:
            await e.set_scene(Scene.initial(32))
            with self.assertRaisesRegex(Exception, "no page runs"):
                await e.optimize(3, on_progress=_host.RunRelay(1))
            plain = []
            result = await e.optimize(3, on_progress=plain.append)
            self.assertEqual(result.steps_completed, 3)


if __name__ == "__main__":
    unittest.main()
