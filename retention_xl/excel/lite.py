"""The files an xlwings Lite user pastes: a self-contained ``main.py`` and ``requirements.txt``.

retention-xl is not on PyPI, so Lite cannot install it. ``main.py`` therefore
carries the package modules the Excel functions import, found by following
their imports and embedded as their real source text (installed as modules at
start-up), then the Excel functions module itself. The package's data files
(``retention_xl/data/*.csv``: the industry benchmarks) are embedded too and served
through ``importlib.resources``, so ``PERIOD_TABLE(..., "Telecommunications")``
reads them with the same loader as everywhere else. Nothing is copied by hand,
so every formula still lives once, in the core.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import retention_xl

PACKAGE = "retention_xl"
PACKAGE_DIR = Path(retention_xl.__file__).parent
FUNCTIONS_MODULE = "retention_xl.excel.functions"

#: Packages Lite installs from requirements.txt, every one in Pyodide's package set: numpy and
#: pandas for every function, pyarrow for COHORT_MATRIX and REVENUE_RETENTION (the log's string
#: columns), scipy for the retention curve (RETENTION_FORECAST, FORECAST_CUSTOMER_VALUE).
REQUIREMENTS = ("numpy", "pandas", "pyarrow", "scipy")
#: The package's data files, embedded as bytes (paths relative to the package).
DATA_FILES = ("data/industry_benchmarks.csv", "data/subscription_churn.csv")

_LOADER = '''
import importlib.abc
import importlib.util
import io
import sys

try:
    from importlib.resources.abc import Traversable, TraversableResources
except ImportError:  # Python 3.10
    from importlib.abc import Traversable, TraversableResources


class _EmbeddedFile(Traversable):
    """A file or folder of the package's data embedded above (for importlib.resources)."""

    def __init__(self, parts=()):
        self._parts = tuple(parts)

    @property
    def name(self):
        return self._parts[-1] if self._parts else "retention_xl"

    def _key(self):
        return "/".join(self._parts)

    def is_file(self):
        return self._key() in _DATA

    def is_dir(self):
        prefix = self._key() + "/" if self._parts else ""
        return any(key.startswith(prefix) for key in _DATA) and not self.is_file()

    def iterdir(self):
        depth = len(self._parts)
        names = sorted({key.split("/")[depth] for key in _DATA
                        if tuple(key.split("/")[:depth]) == self._parts and key.count("/") >= depth})
        return iter([_EmbeddedFile(self._parts + (name,)) for name in names])

    def joinpath(self, *names):
        parts = [part for name in names for part in str(name).split("/") if part]
        return _EmbeddedFile(self._parts + tuple(parts))

    def __truediv__(self, name):
        return self.joinpath(name)

    def open(self, mode="r", *args, **kwargs):
        if not self.is_file():
            raise FileNotFoundError(self._key())
        data = io.BytesIO(_DATA[self._key()])
        return data if "b" in mode else io.TextIOWrapper(data, *args, **kwargs)


class _EmbeddedData(TraversableResources):
    def files(self):
        return _EmbeddedFile()


class _EmbeddedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the retention_xl modules embedded above, as if the package were installed."""

    def find_spec(self, name, path=None, target=None):
        if name in _SOURCES:
            return importlib.util.spec_from_loader(name, self, is_package=name in _PACKAGES)
        return None

    def create_module(self, spec):
        return None

    def get_resource_reader(self, name):
        return _EmbeddedData() if name == "retention_xl" else None

    def exec_module(self, module):
        if module.__spec__.submodule_search_locations is not None:
            module.__path__ = []
        exec(compile(_SOURCES[module.__name__], "<retention_xl " + module.__name__ + ">", "exec"),
             module.__dict__)


if not any(isinstance(finder, _EmbeddedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _EmbeddedModules())
'''


def module_path(name: str) -> Path:
    """Source file of a retention_xl module (``retention_xl.excel`` -> excel/__init__.py)."""
    parts = name.split(".")[1:]
    base = PACKAGE_DIR.joinpath(*parts)
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def imported_modules(name: str) -> set[str]:
    """The retention_xl modules that module ``name`` imports directly (absolute or relative)."""
    path = module_path(name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # "from retention_xl.excel import cells" may name a module, not a name
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == PACKAGE and module_path(target).exists():
                found.add(target)
    if name == PACKAGE:  # the package's public names load lazily, from the modules it maps them to
        found |= {f"{PACKAGE}.{module}" for module in retention_xl._PUBLIC.values()}
    return found


def embedded_modules() -> list[str]:
    """Every retention_xl module the Excel functions need, parents included, sorted."""
    needed: set[str] = set()
    todo = [FUNCTIONS_MODULE]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # a module's parent packages run first
            parent = ".".join(parts[:depth])
            if parent not in needed:
                needed.add(parent)
                todo.append(parent)
        todo.extend(imported_modules(name) - needed)
    needed.discard(FUNCTIONS_MODULE)
    return sorted(needed)


def main_py() -> str:
    """The text of the self-contained ``main.py`` for xlwings Lite."""
    sources = {name: module_path(name).read_text(encoding="utf-8") for name in embedded_modules()}
    functions = module_path(FUNCTIONS_MODULE).read_text(encoding="utf-8")
    lines = [
        "# retention_xl functions for xlwings Lite: =RETENTION(A2,B2,C2) and friends.",
        f"# Generated by `retention-xl excel` from retention_xl {retention_xl.__version__}: do not edit;",
        "# run the command again for a new version. The retention_xl modules the functions need",
        "# are embedded below as their source text; the functions themselves follow.",
        "",
        "_SOURCES = {",
    ]
    lines += [f"    {name!r}: {source!r}," for name, source in sources.items()]
    packages = sorted(name for name in sources if module_path(name).name == "__init__.py")
    lines += ["}", f"_PACKAGES = {set(packages)!r}", "_DATA = {"]
    lines += [f"    {path!r}: {PACKAGE_DIR.joinpath(path).read_bytes()!r}," for path in DATA_FILES]
    lines += ["}", _LOADER, "# ---- retention_xl/excel/functions.py " + "-" * 40, functions]
    return "\n".join(lines)


def requirements_txt() -> str:
    """The text of ``requirements.txt`` for xlwings Lite."""
    return "\n".join(REQUIREMENTS) + "\n"


def write_lite_files(folder: Path, force: bool = False) -> list[Path]:
    """Write ``main.py`` and ``requirements.txt`` into ``folder``; refuse to overwrite unless ``force``.

    Raises
    ------
    FileExistsError
        If a file is already there and ``force`` is False (nothing is written).
    """
    files = {folder / "main.py": main_py(), folder / "requirements.txt": requirements_txt()}
    existing = [path for path in files if path.exists() or path.is_symlink()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} already exists (add --force to overwrite it)")
    from ..errors import Problem, RetentionInputError
    from ..safe_write import write_new_text  # no link followed, no half-written file

    links = [path for path in files if path.is_symlink()]
    if links:  # refused before either file is written: never half a pair
        raise RetentionInputError(Problem("output", f"{links[0].name} is a symbolic link (to "
                                                    f"{os.readlink(links[0])})",
                                          "retention_xl never writes through a link; remove it or "
                                          "choose another folder"))
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        write_new_text(path, text, overwrite=force)
    return list(files)
