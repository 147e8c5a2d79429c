"""The project's modules import each other without a loop, and the lower rooms never reach up.

Read from the source with `ast`, every `import` counted — also those inside a function, since a
loop hidden in a function is still a loop (it only fails later, and in a worse place).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("myphong", "procedures", "dossiers")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    """{module name: path} of every Python module of the apps, migrations left out."""
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


def imports_of(name, path, modules):
    """The project modules `name` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from . import services" imports a module; "from .models import Dossier" a name.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph():
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for other in graph.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def test_no_module_of_the_project_imports_itself_through_others():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_loop_of_three():
    graph = {"forms": {"services"}, "services": {"tasks"}, "tasks": {"forms"}, "views": {"forms"}}
    assert cycles(graph) == [["forms", "services", "tasks"]]


def test_relative_imports_resolve_to_the_modules_they_name():
    graph = import_graph()
    assert "dossiers.services" in graph["dossiers.calendar.changes"]
    assert "dossiers.models" in graph["dossiers.calendar.store"]
    assert "dossiers.printing.wording" in graph["dossiers.printing.slips"]


HIGHER_ROOMS = ("dossiers.services", "dossiers.tasks", "dossiers.views", "dossiers.forms")


@pytest.mark.parametrize(
    "lower",
    [
        "dossiers.models",
        "dossiers.workflow",
        "dossiers.permissions",
        "dossiers.codes",
        "dossiers.calendar.engine",
        "dossiers.calendar.store",
        "dossiers.deadlines",
        "dossiers.printing.wording",
        "dossiers.printing.slips",
        "dossiers.printing.records",
        "dossiers.notifications",
        "dossiers.lookup.guard",
    ],
)
def test_a_lower_room_never_reaches_a_service_task_view_or_form(lower):
    reached = reachable(import_graph(), lower)
    assert not {m for m in reached if m.startswith(HIGHER_ROOMS)}


def test_the_calendar_engine_reads_no_database():
    reached = reachable(import_graph(), "dossiers.calendar.engine")
    assert "dossiers.models" not in reached
