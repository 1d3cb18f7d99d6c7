"""Every report year in one page: ``reports/index.html``.

Rebuilt at the end of every ``zjplan report`` from what is on disk, so that it lists the
years that exist and nothing else. For each report folder ``reports/<year>/`` it links
the brief (``brief_<year>.pdf``), the scorecard page (``html/scorecard.html``) and the
indicator pages (``html/NN_<key>.html``), and counts the statuses of that year's
scorecard (``scorecard.csv``, else the ``results/*.json`` files).

The page is self-contained and offline: one inline stylesheet, no script, links
relative to the page; the Chinese font is embedded as a ``data:`` URL, cut down to the
characters the page uses (a few kB of the Noto Sans CJK SC that the charts use), so the
page reads on a machine without a Chinese font and fetches nothing. Every text taken
from a file (names, statuses) is escaped. The file is written atomically, readable by
others as the umask allows (0644 under the usual 022).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .assessment import STATUS_LABELS
from .definitions import plan as default_plan
from .narrative import esc
from .report import write_text

INDEX_NAME = "index.html"
#: The statuses counted per year, in the order a reader scans them.
COUNTED = ("met", "missed", "on_track", "at_risk", "off_track", "insufficient_data", "qualitative")

_CSS = """
body { font-family: "zjplan CJK", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto;
       max-width: 60em; padding: 0 1em; color: #111; line-height: 1.5; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #999; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; } th, td { border-bottom: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
th { background: #eee; } td.n { text-align: right; } ul.pages { columns: 2; font-size: 0.92em; }
p.missing { color: #a50026; }
"""


@dataclass
class ReportYear:
    year: int
    folder: Path
    brief: Path | None = None
    scorecard: Path | None = None
    pages: list[tuple[Path, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _status_counts(folder: Path) -> dict[str, int]:
    """Statuses of one report year: from scorecard.csv, else from the indicator results."""
    statuses: list[str] = []
    card = folder / "scorecard.csv"
    if card.is_file():
        with card.open(encoding="utf-8", newline="") as fh:
            statuses = [row.get("status", "") for row in csv.DictReader(fh)]
    else:
        for path in sorted((folder / "results").glob("*.json")):
            try:
                statuses.append(json.loads(path.read_text(encoding="utf-8")).get("status", ""))
            except (OSError, ValueError):
                continue  # a broken result is the batch's to report, not the index's
    return {s: statuses.count(s) for s in COUNTED}


def _page_title(folder: Path, page: Path) -> str:
    """"N. name" from the indicator's result file, else the page's file name."""
    result = folder / "results" / f"{page.stem}.json"
    try:
        ind = json.loads(result.read_text(encoding="utf-8"))["indicator"]
        return f"{ind['id']}. {ind['name_zh']} · {ind['name_en']}"
    except (OSError, ValueError, KeyError, TypeError):
        return page.stem


def scan(root: Path) -> list[ReportYear]:
    """The report folders under ``root`` (named by a four-digit year), newest first."""
    years = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name)), reverse=True):
        item = ReportYear(int(folder.name), folder)
        brief = folder / f"brief_{folder.name}.pdf"
        item.brief = brief if brief.is_file() else None
        card = folder / "html" / "scorecard.html"
        item.scorecard = card if card.is_file() else None
        item.pages = [(p, _page_title(folder, p)) for p in sorted((folder / "html").glob("[0-9]*.html"))]
        item.counts = _status_counts(folder)
        if item.brief or item.scorecard or item.pages:
            years.append(item)
    return years


def _href(root: Path, path: Path) -> str:
    return quote(path.relative_to(root).as_posix())


def _link(root: Path, path: Path | None, text: str) -> str:
    if path is None:
        return f'<span class="missing">{esc(text)} —</span>'
    return f'<a href="{esc(_href(root, path))}">{esc(text)}</a>'


def font_face(text: str) -> str:
    """An ``@font-face`` rule holding the CJK font cut to the characters of ``text``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from .plots import font_path

    options = subset.Options()
    options.layout_features, options.hinting, options.notdef_outline = [], False, True
    font = TTFont(str(font_path()), lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "zjplan CJK"; src: url(data:font/otf;base64,{data}) format("opentype"); }}'


def index_html(root: Path, years: list[ReportYear], title: str) -> str:
    """The page: a table of the years with their counts, then each year's links."""
    head = "".join(f"<th>{esc(STATUS_LABELS[s][0])}<br>{esc(STATUS_LABELS[s][1])}</th>" for s in COUNTED)
    rows = []
    for y in years:
        cells = "".join(f'<td class="n">{y.counts.get(s, 0)}</td>' for s in COUNTED)
        rows.append(f'<tr><td><a href="#y{y.year}">{y.year}</a></td><td>{_link(root, y.brief, "PDF")}</td>{cells}</tr>')
    sections = []
    for y in years:
        pages = "".join(f"<li>{_link(root, p, t)}</li>" for p, t in y.pages)
        sections.append(
            f'<h2 id="y{y.year}">{y.year} · 数据截至 {y.year} 年 · data up to {y.year}</h2>'
            f"<p>{_link(root, y.brief, f'简报 Brief (brief_{y.year}.pdf)')} · "
            f"{_link(root, y.scorecard, '计分卡 Scorecard')}</p>"
            + (f'<ul class="pages">{pages}</ul>' if pages else '<p class="missing">无指标页 · no indicator pages</p>'))
    body = ("<p>无报告 · no reports yet</p>" if not years else
            f"<table><thead><tr><th>年份<br>Year</th><th>简报<br>Brief</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{''.join(sections)}")
    body = f"<h1>{esc(title)}</h1><p>各年报告 · Every report year</p>\n{body}"
    return ('<!DOCTYPE html>\n<html lang="zh">\n<head><meta charset="utf-8">'
            f"<title>{esc(title)}</title><style>{font_face(title + body)}{_CSS}</style></head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def write_index(root: str | Path, definitions=None) -> Path:
    """Scan ``root`` (e.g. ``reports/``) and write ``root/index.html`` (atomic; 0644 under the usual umask).

    Returns
    -------
    pathlib.Path
        The written page.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    the_plan = default_plan(definitions)
    text = index_html(root, scan(root), f"{the_plan.title_zh} · {the_plan.title_en}")
    # atomic, and readable by others as the umask allows (0644 under the usual 022)
    path = write_text(root / INDEX_NAME, text)
    return path
