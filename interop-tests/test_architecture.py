"""The shape ARCHITECTURE.md promises, checked: which crate may depend on
which (from `cargo metadata`), and no import circle between the modules of
any crate (a `use crate::x` / `super::x` graph, test modules left out)."""

import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Workspace dependencies each crate may have, and no others.
ALLOWED = {
    "ferrum-stomp": set(),
    "ferrum-openwire": set(),
    "ferrum-selector": set(),
    "ferrum-model": set(),
    "ferrum-broker": {"ferrum-model", "ferrum-selector"},
    "ferrum-store": {"ferrum-model"},
    "ferrum-openwire-adapter": {"ferrum-openwire", "ferrum-broker", "ferrum-model"},
    "ferrum-tools": {"ferrum-stomp", "ferrum-openwire", "ferrum-openwire-adapter",
                     "ferrum-model", "ferrum-broker"},
}


def workspace_graph():
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=120).stdout)
    names = {p["name"] for p in meta["packages"]}
    return {p["name"]: {d["name"] for d in p["dependencies"]
                        if d["name"] in names and d["kind"] is None}
            for p in meta["packages"]}


def test_crates_depend_only_on_what_the_architecture_allows():
    graph = workspace_graph()
    for crate, allowed in ALLOWED.items():
        assert graph[crate] <= allowed, f"{crate} depends on {graph[crate] - allowed}"
    users_of_server = [c for c, deps in graph.items() if "ferrum-server" in deps]
    assert users_of_server == []


def modules(src):
    mods = {}
    for path in src.rglob("*.rs"):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] in ("mod", "lib", "main"):
            parts = parts[:-1]
        if parts and "tests" in parts[-1]:
            continue
        text = path.read_text()
        # Inline test modules import freely.
        text = re.sub(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{.*", "", text, flags=re.S)
        mods["::".join(parts)] = text
    return mods


def imports(mods):
    graph = {m: set() for m in mods}
    for m, text in mods.items():
        base = m.split("::")[:-1] if m else []
        refs = [p.split("::") for p in re.findall(r"\bcrate::((?:\w+::)*\w+)", text)]
        refs += [base + p.split("::") for p in re.findall(r"\bsuper::((?:\w+::)*\w+)", text)]
        for segs in refs:
            for i in range(len(segs), 0, -1):
                cand = "::".join(segs[:i])
                if cand in mods:
                    if cand != m and not m.startswith(cand + "::"):
                        graph[m].add(cand)
                    break
    return graph


def find_cycle(graph):
    state = {}

    def visit(v, path):
        state[v] = "open"
        for w in sorted(graph[v]):
            if state.get(w) == "open":
                return path[path.index(w):] + [w]
            if w not in state:
                found = visit(w, path + [w])
                if found:
                    return found
        state[v] = "done"
        return None

    for v in sorted(graph):
        if v not in state:
            found = visit(v, [v])
            if found:
                return found
    return None


def test_no_crate_has_an_import_circle_between_its_modules():
    for src in sorted(ROOT.glob("crates/*/src")):
        cycle = find_cycle(imports(modules(src)))
        assert cycle is None, f"{src.parent.name}: {' -> '.join(cycle)}"
