"""Headless LibreOffice: recalculate workbooks and print them to PDF (then PNG).

openpyxl writes formulas without values; LibreOffice, started with a throw-away
profile that forces recalculation on load (workbooks.md), computes them. One
soffice run converts many files, since each start costs seconds. The output is
for checking and previews only: a file saved by LibreOffice loses table
formulas, so it is never shipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["recalculate", "to_pdf", "to_png", "soffice"]

_RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
    return path


def _convert(paths: list[Path], outdir: Path, target: str, timeout: float) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rxl-lo-profile-") as profile:
        (Path(profile) / "user").mkdir()
        (Path(profile) / "user" / "registrymodifications.xcu").write_text(_RECALC_PROFILE)
        command = [soffice(), "--headless", "--norestore", "--nolockcheck",
                   f"-env:UserInstallation=file://{profile}", "--convert-to", target,
                   "--outdir", str(outdir), *map(str, paths)]
        env = {**os.environ, "HOME": profile}
        subprocess.run(command, check=True, capture_output=True, timeout=timeout, env=env)
    suffix = "." + target.split(":")[0]
    outputs = [outdir / (p.stem + suffix) for p in paths]
    missing = [str(p) for p in outputs if not p.exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not write {', '.join(missing)}")
    return outputs


def recalculate(paths, outdir, timeout: float = 240) -> list[Path]:
    """Recalculated copies of ``paths`` (xlsx) in ``outdir``, same file names, one soffice run."""
    return _convert([Path(p) for p in paths], Path(outdir), 'xlsx:Calc MS Excel 2007 XML', timeout)


def to_pdf(paths, outdir, timeout: float = 240) -> list[Path]:
    """PDFs of the workbooks (every sheet, recalculated), one soffice run."""
    return _convert([Path(p) for p in paths], Path(outdir), "pdf", timeout)


def to_png(pdf, prefix, resolution: int = 80) -> list[Path]:
    """One PNG per PDF page (pdftoppm), named ``prefix-1.png``, ``prefix-2.png``..."""
    prefix = Path(prefix)
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(pdf), str(prefix)], check=True,
                   capture_output=True, timeout=120)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"),
                  key=lambda p: int(p.stem.rsplit("-", 1)[1]))
