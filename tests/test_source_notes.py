"""Source notes say what was read and where, in words a reader can check.

A note names the original publisher and address and the copy actually read (a news
mirror, a repost, or a public repository with path and commit). It never names the tool
a text was looked up with, nor an internal numeric id that leads nowhere.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = sorted(
    [p for p in (ROOT / "data" / "raw").iterdir() if p.is_file()]
    + [ROOT / "README.md"]
    + list((ROOT / "docs").glob("*.md"))
)

# Words of a look-up service, not of a source.
FORBIDDEN_WORDS = re.compile(r"corpus|\bsearch(es|ed|ing)?\b|\bread via\b|\bfile id\b|\blook-?up (tool|service)", re.IGNORECASE)
# A bare numeric id: "id" followed by a run of 8 or more digits.
BARE_ID = re.compile(r"\bids?\b\W{0,3}\d{8,}", re.IGNORECASE)
# Addresses and repository paths are cited as they are (a path may contain any word).
ADDRESS = re.compile(r"\S*/\S*")


def problems(text: str) -> list[str]:
    """Forbidden phrases in ``text``, one entry per line that has any."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        prose = ADDRESS.sub(" ", line)
        hits = [m.group(0) for m in FORBIDDEN_WORDS.finditer(prose)] + [m.group(0) for m in BARE_ID.finditer(line)]
        if hits:
            found.append(f"line {number}: {', '.join(hits)}")
    return found


@pytest.mark.parametrize(
    "text, expected",
    [
        ("full-text repost (opening read via pages corpus)", ["line 1: read via, corpus"]),
        ("text read in pages-corpus excerpt, no URL", ["line 1: corpus"]),
        ("via public repository file id 60327870526 (archived page)", ["line 1: file id, id 60327870526"]),
        ("ok\nsee id: 123456789", ["line 2: id: 123456789"]),
        ("No URL in the search hit.", ["line 1: search"]),
    ],
)
def test_checker_catches_lookup_words_and_bare_ids(text, expected):
    assert problems(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "read in the public repository owner/name, path research/extracted/search-zj.txt, commit 9acf5f367a12c8ba",
        "Read in a repost at http://example.org/news/20220304/143022.html (dated 2021-07-21)",
        "research notes; 11473921 万元; the province identity of 2023",
    ],
)
def test_checker_lets_citations_through(text):
    assert problems(text) == []


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_lookup_words_or_bare_ids(path):
    assert problems(path.read_text(encoding="utf-8")) == [], f"{path.relative_to(ROOT)} names a look-up tool or a bare id"


def test_data_readme_says_how_to_cite_a_copy():
    text = (ROOT / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    section = text.split("## How to cite a copy", 1)
    assert len(section) == 2, "data/raw/README.md lacks the section 'How to cite a copy'"
    assert re.search(r"owner/name.*path.*commit", section[1], re.DOTALL)
