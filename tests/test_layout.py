"""The package shows the pipeline, and its arrows point down (issue 25).

Layers, lowest first: a module imports only modules of its own layer or a lower one, and the folders of one
layer know nothing of each other (``sources/`` never imports the rules, ``trakt/`` never the sources). The
steps at the top of ``pipeline/`` (what the workflow and a person run) import anything below them, and no
module below them imports a step.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"

# Modules run as ``python -m pipeline.<name>``: the steps of the nightly and the commands beside them.
STEPS = frozenset(
    {
        "__main__",
        "fetch",
        "discover",
        "enrich",
        "validate",
        "report",
        "publish",
        "migrate",
        "status",
        "alert",
        "keepalive",
        "lookup",
        "override_diff",
        "repository",
    }
)
# Lowest first. A name is a folder of pipeline/ or a module at its top.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "config", "logs", "progress", "heap"}),
    frozenset({"published", "net"}),
    frozenset({"candidates"}),  # discover's proposals for enrich: records over the published ones
    frozenset({"sources", "trakt", "github"}),
    frozenset({"evidence"}),
    frozenset({"overrides", "letterboxd", "preflight", "demo", "predecessor"}),
)
FOLDERS = frozenset(name for layer in LAYERS for name in layer if (PACKAGE / name).is_dir())
MAX_TOP_LEVEL_SHARED = 12


def place(path: Path) -> str:
    """The layer name of a module file: its folder below pipeline/, or its own name at the top."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def layer(name: str) -> int:
    if name in STEPS:
        return len(LAYERS)
    for level, names in enumerate(LAYERS):
        if name in names:
            return level
    raise AssertionError(f"pipeline/{name}: in no layer of tests/test_layout.py; add it where it belongs")


def _runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``: a name imported only to annotate with (a record a
    function receives) is no arrow at run time and can make no import cycle."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for statement in node.body
        for inner in ast.walk(statement)
    }
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def imported(path: Path) -> set[str]:
    """The pipeline names a module imports: ``pipeline.x.y`` -> ``x``; ``from pipeline import a, b`` -> a, b."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("pipeline.")}
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "pipeline":
                continue
            found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
    return found


def modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def test_every_import_points_down_or_across_its_own_folder() -> None:
    """No module imports a higher layer, a step, or a folder of its own layer other than its own."""
    wrong = []
    for path in modules():
        here = place(path)
        for name in imported(path) - {here}:
            if name in STEPS and here not in STEPS:
                wrong.append(f"{path.relative_to(PACKAGE)} imports the step {name}")
            elif here not in STEPS and layer(name) >= layer(here) and (name in FOLDERS or here in FOLDERS):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name} (layer {layer(name)} >= {layer(here)})")
            elif layer(name) > layer(here):
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}, a higher layer")
    assert wrong == []


def test_the_top_of_the_package_is_the_steps_and_a_few_shared_modules() -> None:
    """Besides the steps, at most 12 modules directly in pipeline/; every folder named in a layer."""
    shared = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem not in STEPS | {"__init__"})
    assert len(shared) <= MAX_TOP_LEVEL_SHARED, shared
    folders = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert folders <= FOLDERS, folders - FOLDERS


def test_no_step_module_over_400_lines_and_no_other_over_500() -> None:
    """A step orchestrates in a few hundred lines; what grows is a decision or a record that belongs below."""
    too_long = []
    for path in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        limit = 400 if path.parent == PACKAGE and path.stem in STEPS else 500
        if lines > limit:
            too_long.append(f"{path.relative_to(PACKAGE)}: {lines} lines (limit {limit})")
    assert too_long == []


def test_the_checker_sees_every_runtime_import_and_no_annotation_only_one(tmp_path: Path) -> None:
    """The checker itself: both import forms are seen, a name under TYPE_CHECKING is not."""
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "import pipeline.trakt.client\n"
        "from pipeline.enrich import main\n"
        "from pipeline import published, config\n"
        "if TYPE_CHECKING:\n"
        "    from pipeline.sources import upstream\n",
        encoding="utf-8",
    )
    assert imported(module) == {"trakt", "enrich", "published", "config"}
