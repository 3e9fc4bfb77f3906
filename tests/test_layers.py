"""Loa's layers, read from the imports of every module under app/ (at the top or inside a function):
no module imports a layer above its own.

From the bottom up:
  core          app/core/ (and app/migrate.py, which the readiness probe reads): knows no domain.
  tables        each domain's models.py and the catalogue of activity types: they import only core.
  root          app/access.py (who may see and do what) and app/models.py: every domain's tables.
  domain logic  queries, services and the rest of a domain folder, in DOMAINS order: a domain uses
                the logic of the domains before it, never of those after it.
  web           views.py, api.py and the other page and API modules: any logic, and the pages of the
                same or an earlier domain.
  top           app/main.py, app/cli.py, app/demo.py, app/backup.py: everything.
"""
import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Audit is written by every domain, so it comes first; progress (figures of plans against approved
# activities) is read by reviews' neighbours above it. A folder listed here may not exist yet.
DOMAINS = ["audit", "units", "agencies", "accounts", "plans", "activities", "offline", "reviews", "progress",
           "dashboards", "reports"]
CORE = {"app", "app.migrate"}
TABLES = {"app.activities.types"}  # the activity types: a catalogue every domain reads, importing nothing
ROOT = {"app.access", "app.models"}
TOP = {"app.main", "app.cli", "app.demo", "app.backup"}
WEB = {"views", "api", "admin_views", "admin_api", "parse_views", "parse_api"}

# Edges allowed against the order, each with its reason.
ALLOWED = {
    ("app.models", "app.progress.summary"): "loading the tables installs the hooks that keep the activity summary exact",
    ("app.models", "app.activities.provinces"): "loading the tables installs the hooks that give each entry its province",
}
# Imports inside a function, each kept for a reason (see the comment beside it).
INNER_ALLOWED = {
    ("app.core.db", "app.core.metrics"),  # metrics load after `loa serve` prepares their folder
    ("app.core.errors", "app.core.templating"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = APP.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path):
    """(imported app module, line, inside a function?) for every import of an app module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base for alias in node.names]
        else:
            continue
        for name in dict.fromkeys(names):
            if name == "app" or name.startswith("app."):
                yield name, node.lineno, id(node) not in top_level


def layer(module: str) -> tuple[int, int]:
    """(tier, domain rank): a module may import those whose layer is not greater than its own."""
    parts = module.split(".")
    if module in CORE or parts[:2] == ["app", "core"]:
        return (0, 0)
    if module in TABLES or (len(parts) == 3 and parts[2] == "models"):
        return (1, 0)
    if module in ROOT:
        return (2, 0)
    if module in TOP:
        return (5, 0)
    if len(parts) >= 2 and parts[1] in DOMAINS:
        rank = DOMAINS.index(parts[1])
        return (4, rank) if len(parts) == 3 and parts[2] in WEB else (3, rank)
    raise AssertionError(f"{module} is in no layer: place it in tests/test_layers.py")


def app_modules():
    for path in sorted(APP.rglob("*.py")):
        yield module_name(path), path


def test_every_domain_folder_has_its_place_in_the_order():
    folders = {p.name for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders - {"core"} <= set(DOMAINS), f"place these domains in DOMAINS: {folders - {'core'} - set(DOMAINS)}"


def test_no_module_imports_a_higher_layer():
    upward = []
    for module, path in app_modules():
        for imported, line, _ in imports(path):
            target = imported
            while not is_module(target):  # `import app.x.name` of a name: its module
                target = target.rpartition(".")[0]
            if layer(target) > layer(module) and (module, target) not in ALLOWED:
                upward.append(f"{path.relative_to(APP.parent)}:{line} imports {target}")
    assert not upward, "lower layers import higher ones:\n" + "\n".join(upward)


def test_tables_import_only_core():
    for module, path in app_modules():
        if layer(module) == (1, 0):
            others = {name for name, _, _ in imports(path) if layer(name) != (0, 0)}
            assert not others, f"{module} imports {others}: tables depend on nothing but core"


def test_imports_inside_functions_are_the_few_that_must_be_there():
    inner = {(module, name) for module, path in app_modules() for name, _, nested in imports(path) if nested}
    assert inner <= INNER_ALLOWED, f"import at the top of the module instead: {sorted(inner - INNER_ALLOWED)}"


def test_the_command_line_loads_no_metric_before_serve_prepares_their_folder():
    code = "import sys, app.cli; sys.exit('app.core.metrics' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
