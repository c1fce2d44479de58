"""A template filled with sample data, and its rendered sheets for the README.

    python -m retention_xl.workbook.previews docs/images

prints the template through LibreOffice to PDF, then to one PNG per page
(pdftoppm), and keeps the Data and What-if pages as
``template_data.png`` and ``template_whatif.png``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .template import FIRST_ROW, build_template

__all__ = ["SAMPLE_PERIODS", "filled_sample", "render_previews"]

#: Ten quarters of a small telecom that slips below its industry's benchmark.
SAMPLE_PERIODS = [
    ("2023-Q1", 1200, 1236, 110), ("2023-Q2", 1236, 1250, 95), ("2023-Q3", 1250, 1241, 80),
    ("2023-Q4", 1241, 1262, 105), ("2024-Q1", 1262, 1240, 90), ("2024-Q2", 1240, 1205, 70),
    ("2024-Q3", 1205, 1198, 95), ("2024-Q4", 1198, 1215, 80), ("2025-Q1", 1215, 1230, 60),
    ("2025-Q2", 1230, 1251, 62),
]


def filled_sample(rows: int | None = None):
    """The template with :data:`SAMPLE_PERIODS` typed into its Data table.

    The preview is sized to the sample: LibreOffice draws the chart's #N/A gaps
    as 0 (Excel leaves them out), which would drop the line after the data.
    """
    workbook = build_template(rows=rows or len(SAMPLE_PERIODS))
    workbook["What-if"]["B14"].value = 60  # the whole pre-sized projection: no gaps to draw
    ws = workbook["Data"]
    for offset, row in enumerate(SAMPLE_PERIODS):
        for column, value in enumerate(row, start=1):
            ws.cell(FIRST_ROW + offset, column).value = value
    return workbook


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def render_previews(outdir: str | Path, resolution: int = 110) -> dict[str, Path]:
    """Render the filled sample; return ``{"data": png, "whatif": png}`` saved in ``outdir``."""
    from .libreoffice import to_pdf, to_png

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = {"data": "Customer retention by period", "whatif": "What is better retention worth?"}
    with tempfile.TemporaryDirectory(prefix="rxl-previews-") as work:
        work = Path(work)
        filled_sample().save(work / "retention_template.xlsx")
        pdf = to_pdf([work / "retention_template.xlsx"], work)[0]
        pages = to_png(pdf, work / "page", resolution)
        found = {}
        for number, page in enumerate(pages, start=1):
            text = _page_text(pdf, number)
            for key, title in wanted.items():
                if key not in found and title in text:
                    found[key] = shutil.copy(page, outdir / f"template_{key}.png")
    missing = set(wanted) - set(found)
    if missing:
        raise RuntimeError(f"no page found for {', '.join(sorted(missing))}")
    return {key: Path(path) for key, path in found.items()}


if __name__ == "__main__":  # pragma: no cover
    for name, path in render_previews(sys.argv[1] if len(sys.argv) > 1 else "docs/images").items():
        print(f"{name}: {path}")
