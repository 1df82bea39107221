"""The report site built from a real sample release, checked as HTML and in headless Chromium.

One sample world (2019–2022: 2020 is the 14th plan's base year and 2021 the carbon market's
first verified compliance year) plus two faulty deliveries (a misnamed file, an entity with a
bad credit-code check character) is materialised once for the module. The site the
`report_site` asset wrote is then read as HTML and loaded page by page in Debian's Chromium,
driven over its DevTools protocol: no console error, no failed request, every chart drawn as a
Vega view with an SVG of non-zero size, Chinese text rendered with a CJK font.

Chromium is installed with apt-get when missing (as root only); without it the browser tests
are skipped with the reason. Screenshots go to $REPORTS_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pytest
from websockets.sync.client import connect

from orchestration import cli
from orchestration.runner import materialise_everything
from orchestration.settings import ENVIRONMENT, Settings
from reports.serve import make_server
from sample import generate_landing_zone

pytestmark = pytest.mark.integration

FIRST_YEAR, LAST_YEAR = 2019, 2022
CITY_CODES = [f"14{index:02d}00" for index in range(1, 12)]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
APT_PACKAGES = ("chromium", "fonts-noto-cjk")
PAGE_TIMEOUT_S = 20.0
CJK_FAMILY = re.compile(r"CJK|Han Sans|Han Serif|WenQuanYi|Hei|Droid Sans Fallback", re.I)


# --- The sample release ---------------------------------------------------------------------


def add_faulty_deliveries(landing: Path) -> None:
    """A file whose name has no period (rejected) and an entity whose USCC check character is
    wrong (its row quarantined): the data-quality page must count both."""
    (landing / "stats" / "gdp" / "gdp final.csv").write_text(
        "period,report_type,division_code,gdp_100m_yuan,real_growth_pct,"
        "secondary_industry_100m_yuan\n2021,annual,140000,22590.16,9.1,11213.1\n",
        encoding="utf-8",
    )
    entities = landing / "ets" / "entities"
    entities.mkdir(parents=True, exist_ok=True)
    (entities / "entities_2022-06-30.csv").write_text(
        "entity_id,entity_name,division_code,industry_code,ets_sector,first_year\n"
        "91140100000000000X,测试电厂,140105,44,power,2022\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory):
    """One sample world, two faulty files, one run of every asset (the site included)."""
    monkeypatch = pytest.MonkeyPatch()
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("EMISSIONS_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("EMISSIONS_FIRST_YEAR", str(FIRST_YEAR))
    monkeypatch.setenv("EMISSIONS_LAST_YEAR", str(LAST_YEAR))
    # The sample's last day is 31 December 2022: freshness is judged as of the next day.
    monkeypatch.setenv("EMISSIONS_AS_OF", f"{LAST_YEAR + 1}-01-01")
    settings = Settings.from_env()
    # The report pages read no daily data: a month of it keeps the module's run short.
    generate_landing_zone(
        settings.landing_dir,
        first_year=FIRST_YEAR,
        as_of=date(LAST_YEAR, 12, 31),
        seed=7,
        daily_days=31,
    )
    add_faulty_deliveries(settings.landing_dir)
    outcome = materialise_everything(settings)
    yield settings, outcome
    monkeypatch.undo()


@pytest.fixture(scope="module")
def site(release) -> Path:
    settings, outcome = release
    assert outcome.success, "\n".join(outcome.failure_lines)
    return settings.site_dir


def html_of(site: Path, relative: str) -> str:
    return (site / relative).read_text(encoding="utf-8")


def text_of(html_text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text))


def warehouse(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def built_pages(site: Path) -> list[str]:
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html"))


# --- The site as HTML -----------------------------------------------------------------------


def test_the_report_site_asset_wrote_every_page(site):
    assert built_pages(site) == sorted(
        ["index.html", "sectors.html", "carbon_market.html", "nowcast.html", "dual_control.html"]
        + ["data_quality.html"]
        + [f"cities/{code}.html" for code in CITY_CODES]
        + [
            "data_dictionary.html",
            "docs/methodology.html",
            "docs/factors.html",
            "docs/nowcast.html",
        ]
    )
    # This world has a month of daily data, no year to fit the nowcast on: the 电碳监测 page
    # says which tables it waits for (its content: tests/unit/reports/test_reports_pages.py).
    waiting = html_of(site, "nowcast.html")
    assert "本页所需的数据表尚未发布" in waiting and "emissions_nowcast_daily" in waiting
    for relative in built_pages(site):
        if relative != "nowcast.html":
            assert "本页所需的数据表尚未发布" not in html_of(site, relative), relative
    assert (site / "assets" / "vega-bundle.js").stat().st_size > 500_000


def test_every_city_page_is_in_the_sidebar_of_every_page(site):
    for relative in built_pages(site):
        sidebar = html_of(site, relative).split('<nav class="sidebar"', 1)[1].split("</nav>")[0]
        depth = relative.count("/")
        for code in CITY_CODES:
            assert f'href="{"../" * depth}cities/{code}.html"' in sidebar, (relative, code)


def test_overview_total_is_the_provinces_sectors_sum(release, site):
    settings, _ = release
    with warehouse(settings) as con:
        year, total = con.execute(
            "select year, sum(total_tco2) from marts.out_emissions__by_sector "
            "group by year order by year desc limit 1"
        ).fetchall()[0]
    body = html_of(site, "index.html")
    wan = f"{float(total) / 10_000:,.1f} 万吨"
    assert f'{year} 年全省排放总量 Total</p><p class="big-value-number">{wan}</p>' in body
    assert "2020 年基期强度" in body  # the 14th plan's base year is in the release


def test_carbon_market_page_shows_no_suppressed_value(release, site):
    settings, _ = release
    with warehouse(settings) as con:
        suppressed = con.execute(
            "select count(*) from disclosure.ets_compliance_by_city_sector "
            "where division_level = 'city' and is_suppressed "
            "and year = (select max(year) from disclosure.ets_compliance_by_city_sector)"
        ).fetchall()[0][0]
    body = html_of(site, "carbon_market.html")
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", body) if "保密 suppressed" in row]
    assert len(rows) == suppressed
    for row in rows:
        assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[3:8] == ["–"] * 5


def test_data_quality_page_counts_the_faulty_deliveries(release, site):
    settings, _ = release
    with warehouse(settings) as con:
        rules = con.execute(
            "select distinct feed, rule from audit.quarantined_rows order by all"
        ).fetchall()
        rejected = con.execute(
            "select count(*) from audit.file_deliveries where status = 'rejected'"
        ).fetchall()[0][0]
    shown = text_of(html_of(site, "data_quality.html"))
    assert ("ets/entities", "bad_check_character") in rules
    for feed, rule in rules:
        assert f"{feed} {rule}" in shown
    assert rejected == 1
    assert "stats/gdp file_name" in shown
    assert "91140100000000000X" not in shown  # counts only, never a delivered row


def test_emissions_report_rebuilds_the_same_pages(release, site, capsys):
    before = built_pages(site)
    assert cli.main(["report"]) == 0
    assert f"{len(before)} page(s) written to {site}" in capsys.readouterr().out
    assert built_pages(site) == before


# --- Chromium over the DevTools protocol ----------------------------------------------------


def _install_with_apt(packages: tuple[str, ...]) -> str | None:
    """Install Debian packages when running as root with apt-get; the reason it cannot, else."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root with apt-get"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        completed = subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=600, check=False
        )
        if completed.returncode != 0:
            return f"{' '.join(command)} failed: {completed.stderr.strip()[-300:]}"
    return None


def _find_chromium() -> str | None:
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(listed.stdout.strip())


@pytest.fixture(scope="module")
def chromium_path() -> str:
    """Chromium, and a CJK font for it: installed with apt-get when missing (root only)."""
    executable = _find_chromium()
    if executable is None or not _has_cjk_font():
        reason = _install_with_apt(APT_PACKAGES)
        executable = _find_chromium()
        if executable is None:
            pytest.skip(
                f"no Chromium and it cannot be installed ({reason}): "
                f"apt-get install {' '.join(APT_PACKAGES)}"
            )
    return executable


class DevTools:
    """A minimal Chrome DevTools Protocol client: one browser, one page session."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="reports-chromium-")
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--hide-scrollbars",
                "--allow-file-access-from-files",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.browser_stderr: list[str] = []
        found = threading.Event()
        url_holder: list[str] = []

        def read_stderr() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                self.browser_stderr.append(line.rstrip())
                match = re.search(r"DevTools listening on (ws://\S+)", line)
                if match:
                    url_holder.append(match.group(1))
                    found.set()

        threading.Thread(target=read_stderr, daemon=True).start()
        if not found.wait(30):
            self.close()
            raise RuntimeError("Chromium did not start:\n" + "\n".join(self.browser_stderr[-20:]))
        self.socket = connect(url_holder[0], max_size=None, open_timeout=10)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network", "DOM", "CSS"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def call(self, method: str, params: dict | None = None, *, session: bool = False) -> dict:
        message_id = next(self.ids)
        message: dict = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv(timeout=PAGE_TIMEOUT_S))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for_event(self, method: str, timeout: float = PAGE_TIMEOUT_S) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    return event
            seen = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} within {timeout} s")
            with contextlib.suppress(TimeoutError):
                self.events.append(json.loads(self.socket.recv(timeout=remaining)))

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


CHARTS_STATE = """
(() => Array.from(document.querySelectorAll('.vega-chart')).map((element) => {
  const svg = element.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = svg ? svg.querySelectorAll('g[class*="mark-"] path[d]:not([d=""])').length : 0;
  return {
    id: element.id,
    embedded: element.classList.contains('vega-embed'),
    width: box.width,
    height: box.height,
    marks: marks,
    sparkline: element.classList.contains('sparkline'),
    message: svg ? '' : element.textContent.trim().slice(0, 200),
  };
}))()
"""

SIDEBAR_LINKS = "Array.from(document.querySelectorAll('nav.sidebar a')).map((a) => a.href)"


class PageReport:
    """What loading one page showed: problems, charts and the sidebar."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.problems: list[str] = []
        self.charts: list[dict] = []
        self.sidebar: list[str] = []


def load_page(browser: DevTools, url: str) -> PageReport:
    """Navigate, wait for load and for every chart to be drawn, and collect what went wrong."""
    report = PageReport(url)
    browser.events.clear()
    browser.call("Page.navigate", {"url": url}, session=True)
    browser.wait_for_event("Page.loadEventFired")
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    while True:
        report.charts = browser.evaluate(CHARTS_STATE)
        pending = [c for c in report.charts if not c["embedded"] and not c["message"]]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    time.sleep(0.2)  # let late console messages arrive
    with contextlib.suppress(TimeoutError):
        browser.call("Runtime.evaluate", {"expression": "1"}, session=True)
    report.sidebar = browser.evaluate(SIDEBAR_LINKS)
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params["args"]]
            report.problems.append("console." + params["type"] + ": " + " ".join(texts))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            description = details.get("exception", {}).get("description") or details.get("text")
            report.problems.append(f"uncaught exception: {description}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            report.problems.append(f"log error: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.loadingFailed":
            report.problems.append(
                f"request failed: {params.get('errorText')} ({params.get('requestId')})"
            )
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            response = params["response"]
            report.problems.append(f"HTTP {response['status']} for {response['url']}")
    return report


def screenshot(browser: DevTools, path: Path) -> bytes:
    metrics = browser.call("Page.getLayoutMetrics", session=True)
    height = min(int(metrics["cssContentSize"]["height"]), 8000)
    shot = browser.call(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
        },
        session=True,
    )
    data = base64.b64decode(shot["data"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def fonts_of(browser: DevTools, selector: str) -> list[dict]:
    root = browser.call("DOM.getDocument", {"depth": 0}, session=True)["root"]["nodeId"]
    node = browser.call("DOM.querySelector", {"nodeId": root, "selector": selector}, session=True)[
        "nodeId"
    ]
    return browser.call("CSS.getPlatformFontsForNode", {"nodeId": node}, session=True)["fonts"]


@pytest.fixture(scope="module")
def browser(chromium_path):
    devtools = DevTools(chromium_path)
    yield devtools
    devtools.close()


@pytest.fixture(scope="module")
def file_reports(site, browser) -> dict[str, PageReport]:
    """Every page of the built site loaded from file://."""
    return {
        relative: load_page(browser, (site / relative).as_uri()) for relative in built_pages(site)
    }


def test_every_page_loads_from_disk_without_errors_or_failed_requests(file_reports):
    problems = {page: report.problems for page, report in file_reports.items() if report.problems}
    assert problems == {}


def test_every_chart_of_every_page_is_a_drawn_vega_view(site, file_reports):
    for page, report in file_reports.items():
        declared = html_of(site, page).count('class="vega-spec"')
        assert len(report.charts) == declared, page
        for chart in report.charts:
            assert chart["embedded"] and chart["width"] > 0 and chart["height"] > 0, (page, chart)
            if not chart["sparkline"]:
                assert chart["marks"] > 0, (page, chart)
    assert len(file_reports["index.html"].charts) >= 6
    assert all(len(file_reports[f"cities/{code}.html"].charts) >= 8 for code in CITY_CODES)


def test_the_browser_check_sees_a_missing_script_and_undrawn_charts(site, browser, tmp_path):
    # The negative control of the checks above: the same overview without the Vega bundle.
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    (broken / "assets" / "vega-bundle.js").unlink()
    report = load_page(browser, (broken / "index.html").as_uri())
    assert any(p.startswith("request failed: net::ERR_FILE_NOT_FOUND") for p in report.problems)
    assert any("vega-bundle.js is not loaded" in p for p in report.problems)
    assert report.charts and not any(chart["embedded"] for chart in report.charts)


def test_every_page_is_reachable_from_the_sidebar(site, file_reports):
    reachable = {
        Path(unquote(urlparse(href).path)).resolve().relative_to(site.resolve()).as_posix()
        for href in file_reports["index.html"].sidebar
        if href.startswith("file://")
    }
    assert set(built_pages(site)) <= reachable


def test_chinese_is_drawn_with_a_cjk_font_and_screenshots_are_taken(site, browser, tmp_path):
    if not _has_cjk_font():
        pytest.skip("no CJK font and it cannot be installed here: apt-get install fonts-noto-cjk")
    target = Path(os.environ.get("REPORTS_SCREENSHOT_DIR") or tmp_path)
    for relative, name in (("index.html", "overview.png"), ("cities/140100.html", "taiyuan.png")):
        report = load_page(browser, (site / relative).as_uri())
        assert report.problems == []
        fonts = fonts_of(browser, "article h1")
        assert any(CJK_FAMILY.search(font["familyName"]) for font in fonts), fonts
        data = screenshot(browser, target / name)
        assert data.startswith(b"\x89PNG") and len(data) > 50_000


def test_pages_served_on_the_loopback_interface_load_the_same(site, browser):
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        for relative in ("index.html", "cities/140100.html", "carbon_market.html"):
            report = load_page(browser, f"http://127.0.0.1:{port}/{relative}")
            assert report.problems == [], relative
            assert report.charts and all(chart["embedded"] for chart in report.charts)
    finally:
        server.shutdown()
        server.server_close()
