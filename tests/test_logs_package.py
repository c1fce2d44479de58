"""The purchase-log package's shape: the old name serves the same objects, no module reaches
into another's private names, and ``import retention_xl`` finds each public name where it lives."""

from __future__ import annotations

import ast
import importlib
import pathlib

import retention_xl as rx
from retention_xl import purchases

PACKAGE = pathlib.Path(purchases.__file__).parent


def test_the_former_module_name_serves_the_same_objects():
    from retention_xl import logs

    assert logs.__all__ == purchases.__all__
    for name in purchases.__all__:
        assert getattr(logs, name) is getattr(purchases, name), name
    from retention_xl.logs import PurchaseLog, read_log  # the old import lines keep working

    assert read_log is rx.read_log and PurchaseLog is purchases.PurchaseLog


def test_public_names_of_the_package_resolve_lazily_to_the_same_functions():
    for name, module in rx._PUBLIC.items():
        if module.startswith("purchases"):
            assert getattr(rx, name) is getattr(purchases, name), name
            assert name in importlib.import_module(f"retention_xl.{module}").__all__, name


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for path in sorted(PACKAGE.parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    "purchases" in node.module or "logs" in node.module.split(".")[-1:] or
                    (node.level and path.parent == PACKAGE)):
                offenders += [f"{path.name}: {alias.name}" for alias in node.names
                              if alias.name.startswith("_") and alias.name != "__all__"]
    assert offenders == []
