"""Fixtures shared by the test suite: an isolated EMISSIONS_HOME and the shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import ENVIRONMENT, Settings

REPO_ROOT = Path(__file__).resolve().parents[1]

SHARED_REFERENCE = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of a fresh EMISSIONS_HOME in a temporary folder, exported to the environment."""
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("EMISSIONS_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    for variable, value in settings.as_env().items():
        monkeypatch.setenv(variable, value)
    settings.ensure_dirs()
    return settings


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"the shared reference data is not beside the repository ({SHARED_REFERENCE})")
    return SHARED_REFERENCE


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The manifest of dbt parsed as the code location does with default settings (the
    published tables are declared in it), in its own parse folder under dbt_project/target."""
    from orchestration.dbt import dbt_vars, ensure_manifest

    defaults = Settings.from_env({}, cwd=REPO_ROOT)
    variables = dbt_vars(defaults.factor_set, defaults.first_year, defaults.last_year)
    with pytest.MonkeyPatch.context() as patch:  # the parse is keyed by the warehouse, too
        patch.setenv("EMISSIONS_WAREHOUSE", str(defaults.warehouse_path))
        return ensure_manifest(variables)


def modules_using(fixtures: set[str], folder: Path) -> set[str]:
    """The test modules of ``folder`` with a test that asks for one of ``fixtures``."""
    import ast

    found = set()
    for path in sorted(folder.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.FunctionDef)
                and node.name.startswith("test")
                and fixtures & {argument.arg for argument in node.args.args}
            ):
                found.add(path.relative_to(REPO_ROOT).as_posix())
                break
    return found


def pytest_xdist_make_scheduler(config, log):
    """With `make test` (pytest-xdist): each module runs whole on one worker, and the modules
    sharing the built home of tests/integration/conftest.py (its session fixture, about a
    minute and a half) run on the same worker, so that home is built once. (pytest-xdist's own
    `xdist_group` mark has no effect with pytest 9: the node id it rewrites is not used.)"""
    from xdist.scheduler import LoadScopeScheduling

    shared = modules_using({"built", "home_copy"}, REPO_ROOT / "tests" / "integration")

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "built home" if module in shared else module

    return ModuleScheduling(config, log)
