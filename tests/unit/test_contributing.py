"""CONTRIBUTING.md's worked examples are the ones the tests exercise: every test it names exists,
and its published-table example is the one tests/integration/test_add_published_table.py adds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_every_test_the_guide_names_exists():
    named = re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", GUIDE)
    assert named, "the guide names the tests that exercise its examples"
    for path, function in named:
        assert (REPO / path).is_file(), path
        if function:
            tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
            functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
            assert function in functions, f"{path}::{function}"


def test_the_published_table_example_is_the_tested_one():
    example = (REPO / "tests/integration/test_add_published_table.py").read_text(encoding="utf-8")
    for text in (
        "out_emissions__province_by_year",
        "table: emissions_province_by_year",
        "description_zh: 全省分年度二氧化碳排放总量",
        'publish: {zh: 年份, en: Year, unit: ""}',
        "publish: {zh: 二氧化碳排放总量, en: Territorial CO2, unit: tCO2}",
    ):
        assert text in GUIDE and text in example, text
