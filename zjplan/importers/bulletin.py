"""Read a statistical bulletin (统计公报), as the saved official page (HTML) or as text.

Load
    The page's text with an HTML parser (scripts, styles and footnote superscripts
    dropped; inline tags joined so that a number split by a tag is one number again;
    paragraphs kept apart), or the text file as it is.
Process
    Sentences (split at 。 and paragraph ends), compared after full-width characters are
    made half-width and spaces and footnote marks such as [2] removed. A sentence listing
    items with 分别 (「A、B和C…分别增长x%、y%和z%」) is also read as one sentence per item.
    Each series of the phrase catalogue (``data/raw/bulletin_phrases.yml``) takes the
    first sentence one of its patterns matches; a direction word gives the sign (增长 /
    上升 / 提高 vs 下降 / 减少), 个百分点 marks a change in points, and 约 / 左右 / 预计 next
    to the figure are kept in the row's note.
Save
    Candidate rows in the ``data/raw`` columns, each with its sentence as ``quote``,
    status ``preliminary`` (a bulletin's figures for its own year are preliminary).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path


from .. import data
from ..data import DataError
from .common import normalize

CATALOGUE_FILE = "bulletin_phrases.yml"
HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
BREAK = "\x00"  # paragraph boundary while the text is assembled (never in a page's text)
FOOTNOTE_MARK = re.compile(r"[\[［]\d{1,2}[\]］]")
BLOCK_TAGS = ("p", "div", "section", "article", "li", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "pre", "ul", "ol", "dd", "dt")
# One figure of a 分别 list: a number and its unit.
LIST_ITEM = r"[-+]?\d+(?:\.\d+)?(?:个百分点|%|‰|[万亿千百]*[元家户人吨辆台套件个只项次头])?"
VALUE_LIST = re.compile(rf"{LIST_ITEM}(?:(?:、|和|及|与){LIST_ITEM})+")
ITEM_SEPARATORS = re.compile(r"和|及|与")


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern
    value: str | None = None   # a figure stated in words (与上年持平 → "0")


@dataclass(frozen=True)
class PhraseEntry:
    key: str
    unit: str
    basis: str
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class Catalogue:
    up: tuple[str, ...]
    down: tuple[str, ...]
    hedges_before: tuple[str, ...]
    hedges_after: tuple[str, ...]
    entries: tuple[PhraseEntry, ...]


def _placeholders(words: dict) -> dict[str, str]:
    direction = "|".join(sorted(set(words["up"]) | set(words["down"]), key=len, reverse=True))
    before = "|".join(sorted(words["hedges_before"], key=len, reverse=True))
    return {
        "num": rf"(?:{before})?(?P<value>[-+]?\d+(?:\.\d+)?)",
        "n": r"[-+]?\d+(?:\.\d+)?",
        "dir": rf"(?P<dir>{direction})",
        "money": r"(?P<unit>万亿元|亿元)",
        "vs": r"(?:按(?:可比|不变)价格?计算,?)?(?:比上年|较上年|同比)?",
        "gap": r"[^。;]*?",
        "far": r"[^。]*?",
    }


def load_catalogue(folder: Path) -> Catalogue:
    """The phrase catalogue, with every pattern compiled (a bad one names its series)."""
    path = folder / CATALOGUE_FILE
    doc = data.read_yaml(path, "the bulletin phrase catalogue")
    words = doc.get("words") or {}
    if not {"up", "down", "hedges_before", "hedges_after"} <= set(words):
        raise DataError(f"{path}: words: needs up, down, hedges_before and hedges_after")
    fill = _placeholders(words)
    entries = []
    for key, entry in (doc.get("series") or {}).items():
        if not isinstance(entry, dict) or not {"unit", "basis", "patterns"} <= set(entry):
            raise DataError(f"{path}: series {key}: needs unit, basis and patterns")
        if entry["basis"] not in data.BASES:
            raise DataError(f"{path}: series {key}: basis must be one of {', '.join(data.BASES)}, got {entry['basis']!r}")
        patterns = []
        for item in entry["patterns"]:
            text, value = (item["pattern"], str(item["value"])) if isinstance(item, dict) else (item, None)
            try:
                regex = re.compile(re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), m.group(0)), text))
            except re.error as exc:
                raise DataError(f"{path}: series {key}: bad pattern {text!r}: {exc}") from None
            if value is None and "value" not in regex.groupindex:
                raise DataError(f"{path}: series {key}: pattern {text!r} has no {{num}}")
            patterns.append(Pattern(regex, value))
        entries.append(PhraseEntry(key, str(entry["unit"]), entry["basis"], tuple(patterns)))
    if not entries:
        raise DataError(f"{path}: no series")
    return Catalogue(tuple(words["up"]), tuple(words["down"]), tuple(words["hedges_before"]),
                     tuple(words["hedges_after"]), tuple(entries))


# --- Load --------------------------------------------------------------------------------

def _html_text(html: str) -> str:
    """The page's visible text; paragraphs end in BREAK, inline tags are joined without a gap."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "head", "title", "meta"]):
        tag.decompose()
    for sup in soup.find_all("sup"):
        if re.fullmatch(r"\s*[\[［(（]?\s*\d{1,2}\s*[\]］)）]?\s*", sup.get_text()):
            sup.decompose()  # a footnote mark, not part of the number beside it
    for br in soup.find_all("br"):
        br.replace_with(BREAK)
    for tag in soup.find_all(BLOCK_TAGS):
        tag.append(BREAK)
    return soup.get_text("")


def bulletin_text(path: Path) -> str:
    """The bulletin's text with paragraph ends as BREAK."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    text = data.read_text(path)
    looks_html = path.suffix.lower() in HTML_SUFFIXES or re.search(r"<(html|body|p|div)[\s>]", text[:5000], re.I)
    if looks_html:
        return _html_text(text)
    return text.replace("\r\n", "\n").replace("\n", BREAK)


# --- Process -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Sentence:
    quote: str              # as printed (full-width kept), footnote marks and spaces removed
    variants: tuple[str, ...]  # normalized text, or one per item of a 分别 list


def sentences(text: str) -> list[Sentence]:
    out = []
    for paragraph in text.split(BREAK):
        for piece in paragraph.split("。"):
            quote = re.sub(r"\s+", "", FOOTNOTE_MARK.sub("", piece))
            if not quote:
                continue
            norm = FOOTNOTE_MARK.sub("", normalize(piece))
            out.append(Sentence(quote + "。", tuple(expand_respectively(norm))))
    return out


def _items(before: str) -> list[str] | None:
    """The items of an enumeration 「A、B和C」 (None if the text lists nothing)."""
    parts = before.split("、")
    last = list(ITEM_SEPARATORS.finditer(parts[-1]))
    if last:
        cut = last[-1]
        parts[-1:] = [parts[-1][:cut.start()], parts[-1][cut.end():]]
    if len(parts) < 2 or not all(parts):
        return None
    return parts


def expand_respectively(s: str) -> list[str]:
    """「A、B和C增加值分别增长x%、y%和z%，分别占…的p%、q%和r%」 → one sentence per item.

    Every 分别 is followed by a list of figures; the items are the enumeration just
    before it in the same clause, else the previous 分别's items. Item i's sentence puts
    item i in place of the enumeration and figure i in place of each list.
    """
    if "分别" not in s:
        return [s]
    groups: list[list[tuple[int, int, list[str]]]] = []
    current: list | None = None
    for m in re.finditer("分别", s):
        start = max(s.rfind(c, 0, m.start()) for c in ",;:") + 1
        end = min([i for i in (s.find(c, m.end()) for c in ",;") if i >= 0] + [len(s)])
        found = VALUE_LIST.search(s, m.end(), end)
        if not found:
            continue
        values = re.findall(LIST_ITEM, found.group())
        items = _items(s[start:m.start()])
        if items and len(items) == len(values):
            current = [(start, m.start(), items)]
            groups.append(current)
        elif current is None or len(current[0][2]) != len(values):
            continue
        current += [(m.start(), m.end(), [""] * len(values)), (found.start(), found.end(), values)]
    if not groups:
        return [s]
    variants = []
    for group in groups:
        for i in range(len(group[0][2])):
            text = s
            for a, b, alternatives in sorted(group, reverse=True):
                text = text[:a] + alternatives[i] + text[b:]
            variants.append(text)
    return variants


def _hedges(catalogue: Catalogue, variant: str, match: re.Match) -> list[str]:
    """Hedge words at the figure: before it in its clause (约, 预计), or right after it (…3.3%左右)."""
    clause_start = max(variant.rfind(c, 0, match.start()) for c in ",;") + 1
    before = variant[clause_start:match.end()]
    after = variant[match.end():match.end() + 4]
    return [w for w in catalogue.hedges_before if w in before] + [w for w in catalogue.hedges_after if after.startswith(w)]


def _figure(entry: PhraseEntry, pattern: Pattern, match: re.Match, catalogue: Catalogue) -> tuple[str, str]:
    """(value as printed with its sign, unit as printed)."""
    groups = match.groupdict()
    value = pattern.value if pattern.value is not None else groups["value"]
    if groups.get("dir") in catalogue.down and not value.startswith("-"):
        value = "-" + value.lstrip("+")
    return value, groups.get("unit") or entry.unit


def extract(path: Path, year: int | None, region: str, source_id: str, folder: Path) -> list[dict[str, str]]:
    """Candidate rows (data/raw columns) for every catalogue series the bulletin's sentences give.

    Parameters
    ----------
    path : Path
        The bulletin, saved as HTML or text.
    year : int
        The year the bulletin reports on (its figures' year).
    region : str
        The province's short name (浙江).
    source_id : str
        The ``sources.csv`` id the rows cite.
    folder : Path
        The raw-data folder holding ``bulletin_phrases.yml``.
    """
    if year is None:
        raise DataError(f"{path}: --year is required (the year the bulletin reports on, e.g. 2025)")
    lo, hi = data.YEAR_RANGE
    if not lo <= int(year) <= hi:
        raise DataError(f"{path}: --year must be in {lo}-{hi}, got {year}")
    catalogue = load_catalogue(folder)
    found = sentences(bulletin_text(path))
    rows = []
    for entry in catalogue.entries:
        hit = _first_match(entry, found)
        if hit is None:
            continue
        sentence, pattern, variant, match = hit
        value, unit = _figure(entry, pattern, match, catalogue)
        hedges = _hedges(catalogue, variant, match)
        note = f"printed with {'/'.join(hedges)}: approximate, kept as printed" if hedges else ""
        rows.append({
            "region": region, "series": entry.key, "year": str(int(year)), "value": value, "unit": unit,
            "basis": entry.basis, "status": "preliminary", "source_id": source_id,
            "quote": sentence.quote, "note": note,
        })
    if not rows:
        raise DataError(
            f"{path}: no sentence matched the phrase catalogue ({folder / CATALOGUE_FILE}); "
            "expected a statistical bulletin (统计公报) with sentences such as 「全年地区生产总值…亿元，比上年增长…%」"
        )
    return rows


def _first_match(entry: PhraseEntry, found: list[Sentence]):
    for pattern in entry.patterns:
        for sentence in found:
            for variant in sentence.variants:
                match = pattern.regex.search(variant)
                if match:
                    return sentence, pattern, variant, match
    return None
