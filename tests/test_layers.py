"""The package layout is the pipeline: no module imports from a layer above its own, and
imports sit at the top of files (an import inside a function must say why, on its line or the
line above, e.g. an optional heavy dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Lower number = lower layer. A module may import its own layer or below.
LAYERS = {
    "realtime": 0, "realtime.landmarks": 0, "realtime.palette": 0, "realtime.files": 0,
    "realtime.sources": 1, "realtime.signals": 1,
    "realtime.tracking": 2, "realtime.clinical": 2, "calibration": 2,
    "realtime.pipeline": 3,
    "realtime.sinks": 4,
    "realtime.jobs": 5, "realtime.reports": 5,
    "realtime.live": 6, "realtime.api": 6,
    "realtime.checks": 7,
    "realtime.cli": 8,
}


# The package's root hands out the Python API on first use (module __getattr__): the API's front
# door, not a dependency of the layers below; no module may take the API from there (below).
FRONT_DOOR = {("realtime", "realtime.api")}


def layer(module: str) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return LAYERS[key]
    return None


def modules():
    for path in sorted(list((REPO / "realtime").rglob("*.py")) + list((REPO / "calibration").rglob("*.py"))):
        rel = path.relative_to(REPO).with_suffix("")
        name = ".".join(rel.parts)
        yield path, name[:-9] if name.endswith(".__init__") else name


def imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # each name too: "from realtime.sinks import tables" imports realtime.sinks.tables
            for a in node.names:
                yield node, f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield node, a.name


def test_no_module_imports_a_layer_above_its_own():
    bad = []
    for path, name in modules():
        own = layer(name)
        assert own is not None, f"{name} is in no layer: add its package to LAYERS"
        for node, target in imports(ast.parse(path.read_text())):
            t = layer(target)
            if t is not None and t > own and (name, target) not in FRONT_DOOR:
                bad.append(f"{name} (layer {own}) imports {target} (layer {t}) at line {node.lineno}")
    assert not bad, "\n".join(bad)


def test_imports_inside_functions_say_why():
    bad = []
    for path, name in modules():
        text = path.read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            # One reason per function: on its first import's line or the line above it.
            nested = sorted((n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))),
                            key=lambda n: n.lineno)
            if not nested:
                continue
            first = nested[0].lineno
            if not any("#" in line for line in lines[first - 2:first]):
                bad += [f"{path.relative_to(REPO)}:{n.lineno}: {lines[n.lineno - 1].strip()}" for n in nested]
    assert not bad, "imports inside functions without a reason:\n" + "\n".join(sorted(set(bad)))


def test_no_module_takes_the_api_from_the_package_root():
    from realtime import API
    bad = []
    for path, name in modules():
        for node, target in imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and target.rpartition(".")[::2] in {("realtime", n) for n in API}:
                bad.append(f"{name} line {node.lineno}: from realtime import {target.rpartition('.')[2]}")
    assert not bad, "\n".join(bad)
