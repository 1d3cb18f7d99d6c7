"""reports/index.html: every report year, its pages and brief, offline and escaped."""

import json
import os
import shutil
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from zjplan import archive


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.text = [], []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)

    def handle_data(self, data):
        self.text.append(data)


def fake_year(root: Path, year: int, statuses: list[str], *, brief=True, name_zh="制造业增加值占GDP比重"):
    folder = root / str(year)
    (folder / "html").mkdir(parents=True)
    (folder / "results").mkdir()
    if brief:
        (folder / f"brief_{year}.pdf").write_bytes(b"%PDF-1.7\n")
    (folder / "html" / "scorecard.html").write_text("<html></html>", encoding="utf-8")
    for i, status in enumerate(statuses, start=1):
        stem = f"{i:02d}_ind{i}"
        (folder / "html" / f"{stem}.html").write_text("<html></html>", encoding="utf-8")
        result = {"status": status, "indicator": {"id": i, "name_zh": name_zh if i == 1 else f"指标{i}",
                                                  "name_en": f"Indicator {i}"}}
        (folder / "results" / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    lines = ["id,status"] + [f"{i},{s}" for i, s in enumerate(statuses, start=1)]
    (folder / "scorecard.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def reports(tmp_path):
    root = tmp_path / "reports"
    fake_year(root, 2024, ["on_track", "on_track", "at_risk", "off_track", "qualitative"],
              name_zh="<script>alert(1)</script> & 份额")
    fake_year(root, 2025, ["met", "missed", "missed", "insufficient_data"])
    (root / "notes").mkdir()  # not a year: ignored
    return root


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_every_link_resolves_and_both_years_are_listed(reports):
    page = archive.write_index(reports)
    links = parse(page)
    files = [u for u in links.urls if not u.startswith("#")]
    assert files and all((reports / unquote(u)).is_file() for u in files)
    for year in (2024, 2025):
        assert f"{year}/brief_{year}.pdf" in files and f"{year}/html/scorecard.html" in files
    assert "2024/html/01_ind1.html" in files and "2025/html/04_ind4.html" in files
    anchors = [u for u in links.urls if u.startswith("#")]
    assert anchors == ["#y2025", "#y2024"]  # newest first
    assert "notes" not in page.read_text(encoding="utf-8")


def test_counts_come_from_each_years_scorecard(reports):
    years = {y.year: y.counts for y in archive.scan(reports)}
    assert years[2024] == {"met": 0, "missed": 0, "on_track": 2, "at_risk": 1, "off_track": 1,
                           "insufficient_data": 0, "qualitative": 1}
    assert years[2025]["met"] == 1 and years[2025]["missed"] == 2 and years[2025]["on_track"] == 0
    (reports / "2025" / "scorecard.csv").unlink()  # then from the results files
    assert archive.scan(reports)[0].counts["missed"] == 2
    text = archive.write_index(reports).read_text(encoding="utf-8")
    # the 2025 row: year, brief, then met, missed, on track, at risk, off track, insufficient, qualitative
    row = text.split('<a href="#y2025">2025</a>')[1].split("</tr>")[0]
    assert [c.split("</td>")[0] for c in row.split('<td class="n">')[1:]] == ["1", "2", "0", "0", "0", "1", "0"]


def test_text_is_escaped_offline_and_readable_by_others(reports):
    old = os.umask(0o022)  # the usual umask: others may read (a stricter one is honoured, see test_defects)
    try:
        page = archive.write_index(reports)
    finally:
        os.umask(old)
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 份额" in text
    assert "://" not in text  # no http(s), ftp or file URL: every link is relative
    # no stylesheet or font to fetch: the one url() is the embedded font
    assert "@import" not in text and text.count("url(") == text.count("url(data:font/otf;base64,") == 1
    assert stat.S_IMODE(page.stat().st_mode) == 0o644
    assert not [p for p in reports.iterdir() if p.name.endswith(".tmp")]


def test_a_year_without_its_brief_says_so(reports):
    shutil.rmtree(reports / "2025")
    fake_year(reports, 2025, ["met"], brief=False)
    text = archive.write_index(reports).read_text(encoding="utf-8")
    assert "brief_2025.pdf" not in parse(reports / "index.html").urls
    assert 'class="missing"' in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-default-apps", "--disable-extensions", "--no-pings",
         "--disable-domain-reliability", "--disable-features=NetworkTimeServiceQuerying,SpellCheck")


def page_requests(page: Path, work: Path) -> list[str]:
    """The URLs a page asked for when opened in headless Chromium (fresh profile), from
    the browser's network log. The browser's own calls (updater, accounts) have no
    origin as initiator and are left out: only what the page requested counts."""
    netlog, shot = work / f"{page.stem}.netlog.json", work / f"{page.stem}.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={work / ('profile_' + page.stem)}", f"--log-net-log={netlog}",
                    "--net-log-capture-mode=Everything", f"--screenshot={shot}", "--window-size=1000,800", page.as_uri()],
                   check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(work)})
    assert shot.is_file() and shot.stat().st_size > 1000
    text = netlog.read_text(encoding="utf-8").rstrip().rstrip(",")
    log = json.loads(text if text.endswith("}") else text + "]}")  # a log cut at exit lacks its end
    kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    return sorted(ev["params"]["url"] for ev in log["events"]
                  if kinds[ev["type"]] == "URL_REQUEST_START_JOB" and "url" in ev.get("params", {})
                  and ev["params"].get("initiator") != "not an origin")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_headless_browser_makes_no_request_but_local_files(reports, tmp_path):
    page = archive.write_index(reports)
    requested = page_requests(page, tmp_path)
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []
    # the check sees a page that does fetch: an image and a stylesheet from the network
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><p>x</p><img src="http://127.0.0.1:9/x.png">'
                   '<link rel="stylesheet" href="https://cdn.example.invalid/a.css">', encoding="utf-8")
    assert page_requests(bad, tmp_path) == ["http://127.0.0.1:9/x.png", "https://cdn.example.invalid/a.css"]
