"""Build the static report site: find pages, expand templated pages, lay out, write atomically.

`build_site` parses every page of a pages folder, renders one HTML file per page (one per
parameter value for a templated page such as `cities/[city].md`), wraps each in the Jinja
layout with a sidebar listing every page, copies the stylesheet, the page script and the
vega / vega-lite / vega-embed bundle shipped inside vl-convert, and swaps the finished folder
in place of the previous site. All links are relative, so the site works from `file://`.
"""

from __future__ import annotations

import csv
import html
import io
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote

import duckdb
import jinja2
import pyarrow as pa
import pyarrow.parquet as pq
from markupsafe import Markup

from publish.catalog import published_views_connection
from reports.errors import BuildProblem, PageError, ReportBuildError
from reports.expressions import ExpressionError, evaluate, parse_expression
from reports.formats import interpolation_text
from reports.parser import Page, page_vars, parse_page, required_tables
from reports.queries import QueryResult, existing_relations
from reports.render import markdown_renderer, render_page

PACKAGE_DIR = Path(__file__).resolve().parent
SITE_MARKER = ".reports-site"
VEGA_BUNDLE = "assets/vega-bundle.js"
DEFAULT_SITE_TITLE = "山西省碳排放统计 · Shanxi Carbon Emissions"
DOWNLOADS_FOLDER = "downloads"  # downloads/<page path without .html>/<query>.csv|.parquet
DICTIONARY_PAGE = "data_dictionary.html"
DOCUMENTS_FOLDER = "docs"  # documents given to build_site: docs/<name>.html
RELEASES_RELATION = "release_manifests"
# The repository's documents every site carries (name → title, markdown file).
_DOCS = PACKAGE_DIR.parent / "docs"
REPOSITORY_DOCUMENTS = {
    "methodology": ("核算方法 Methodology", _DOCS / "methodology.md"),
    "factors": ("排放因子与代码表 Factors and code lists", _DOCS / "factors.md"),
    "nowcast": ("电碳监测方法 Electricity–carbon nowcast", _DOCS / "nowcast.md"),
}
_TEMPLATED_NAME = re.compile(r"^\[([A-Za-z_][A-Za-z0-9_]*)\]$")
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_ANCHOR_HREF = re.compile(r"(<a\b[^>]*?\bhref=)(\"[^\"]*\"|'[^']*')", re.I)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
_EXTERNAL_RESOURCE = re.compile(
    r"""(?:\b(?:src|srcset|poster|data|action|formaction)\s*=\s*["']?\s*|"""
    r"""<link\b[^>]*?\bhref\s*=\s*["']?\s*|url\(\s*["']?\s*|@import\s+["']?\s*)"""
    r"""((?:https?:)?//[^\s"'<>)]+)""",
    re.I,
)
_UNSAFE_FILE_NAME = re.compile(r"[/\\\x00-\x1f<>:\"|?*]")

ConnectionFactory = Callable[[], duckdb.DuckDBPyConnection]


@dataclass(frozen=True)
class SiteBuildResult:
    """What a build wrote: the site folder, its pages (relative paths) and warnings."""

    out_dir: Path
    pages: list[Path]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Source:
    """One page file: its parsed form and, for `[param].md`, the parameter's name."""

    relative: PurePosixPath
    display_path: str
    text: str
    page: Page
    param_name: str | None


@dataclass
class _Instance:
    """One HTML page to write."""

    source: _Source
    output: PurePosixPath
    params: dict[str, Any]
    nav_title: str
    title: str = ""
    body_html: str = ""
    has_charts: bool = False
    downloads: dict[str, QueryResult] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NavEntry:
    """A sidebar entry: a page link, or a folder group with children."""

    title: str
    href: str | None
    children: list[NavEntry] = field(default_factory=list)
    order: tuple[Any, ...] = ()

    def contains(self, output: str) -> bool:
        return self.href == output or any(child.contains(output) for child in self.children)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _line_of(text: str, needle: str) -> int:
    position = text.find(needle)
    return text.count("\n", 0, position) + 1 if position >= 0 else 1


def discover_pages(pages_dir: Path) -> list[tuple[PurePosixPath, Path]]:
    """Every `.md` page below `pages_dir` (names starting with `.` or `_` are skipped)."""
    found = []
    for path in sorted(pages_dir.rglob("*.md")):
        relative = PurePosixPath(path.relative_to(pages_dir).as_posix())
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        found.append((relative, path))
    return found


def _parse_sources(pages_dir: Path, problems: list[BuildProblem]) -> list[_Source]:
    sources = []
    for relative, path in discover_pages(pages_dir):
        display = _display_path(path)
        text = path.read_text(encoding="utf-8")
        try:
            for folder in relative.parts[:-1]:
                if "[" in folder:
                    raise ReportBuildError.at(
                        display, 1, f"templated folders like {folder}/ are not supported"
                    )
            match = _TEMPLATED_NAME.match(relative.stem)
            if "[" in relative.stem and match is None:
                raise ReportBuildError.at(
                    display, 1, f"bad templated page name {relative.name}: use [name].md"
                )
            page = parse_page(text, display)
        except ReportBuildError as error:
            problems.extend(error.problems)
            continue
        sources.append(_Source(relative, display, text, page, match.group(1) if match else None))
    return sources


def missing_tables(page: Page, connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the page's front matter `requires:` that the connection does not have."""
    required = required_tables(page.front_matter)
    if not required:
        return []
    existing = existing_relations(connection)
    return [name for name in required if name not in existing]


def _missing_warning(source: _Source, missing: list[str]) -> str:
    return (
        f"{source.display_path}: the release has no table {', '.join(missing)} "
        "(not published yet, or empty): "
        + ("no pages written" if source.param_name else "a notice written instead")
    )


def _unpublished_notice(title: str, missing: list[str]) -> str:
    names = "、".join(f"<code>{html.escape(name)}</code>" for name in missing)
    return (
        f"<h1>{html.escape(title)}</h1>\n"
        '<div class="notice notice-unpublished" role="status">'
        f"<p>本页所需的数据表尚未发布或没有数据：{names}。</p>"
        f"<p>The release does not have these tables yet (not published, or empty).</p>"
        "</div>\n"
    )


def _params_rows(source: _Source, connection: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    name = source.param_name
    assert name is not None
    declared = source.page.front_matter.get("params")
    line = _line_of(source.text, "params:")
    if not isinstance(declared, dict) or not isinstance(declared.get(name), str):
        raise PageError(
            line,
            f'templated page needs front matter params: {{{name}: "select ... as {name} ..."}}',
        )
    try:
        table = connection.sql(declared[name]).to_arrow_table()
    except Exception as error:  # the author's SQL: report it where it is written
        message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise PageError(line, f"params query for {name} failed: {message}") from error
    if name not in table.column_names:
        raise PageError(
            line,
            f"params query for {name} must return a column named {name} "
            f"(it returns: {', '.join(table.column_names)})",
        )
    rows = table.to_pylist()
    seen: set[str] = set()
    for row in rows:
        value = row[name]
        text = "" if value is None else str(value)
        if value is None or text in (".", "..") or _UNSAFE_FILE_NAME.search(text):
            raise PageError(line, f"{name} value {value!r} cannot be used as a file name")
        if text in seen:
            raise PageError(line, f"{name} value {text!r} appears twice in the params query")
        seen.add(text)
    return rows


def _interpolate(template: str, scope: dict[str, Any], line: int) -> str:
    def replace(match: re.Match[str]) -> str:
        try:
            return interpolation_text(evaluate(parse_expression(match.group(1)), scope))
        except ExpressionError as error:
            raise PageError(line, f"bad expression in title: {error}") from None

    return re.sub(r"\{([^{}]+)\}", replace, template)


def _instances(
    sources: list[_Source],
    connection_factory: ConnectionFactory,
    problems: list[BuildProblem],
    warnings: list[str],
) -> list[_Instance]:
    instances = []
    for source in sources:
        if source.param_name is None:
            output = source.relative.with_suffix(".html")
            instances.append(_Instance(source, output, {}, ""))
            continue
        connection = connection_factory()
        try:
            missing = missing_tables(source.page, connection)
            rows = [] if missing else _params_rows(source, connection)
        except PageError as error:
            problems.append(BuildProblem(source.display_path, error.line, error.message))
            continue
        finally:
            connection.close()
        if missing:
            warnings.append(_missing_warning(source, missing))
            continue
        if not rows:
            warnings.append(f"{source.display_path}: the params query returned no rows")
        for row in rows:
            value = str(row[source.param_name])
            output = source.relative.parent / f"{value}.html"
            title = row.get("title")
            nav_title = value if title is None else interpolation_text(title)
            instances.append(_Instance(source, output, row, nav_title))
    return instances


def _render(
    instance: _Instance,
    connection_factory: ConnectionFactory,
    show_sql: bool,
    warnings: list[str],
) -> None:
    source = instance.source
    connection = connection_factory()
    try:
        missing = missing_tables(source.page, connection)
        rendered = (
            None
            if missing
            else render_page(
                source.page,
                connection,
                instance.params,
                show_sql=show_sql,
                downloads_href=_downloads_href(instance.output),
            )
        )
        instance.releases = _releases(connection, required_tables(source.page.front_matter))
    finally:
        connection.close()
    declared = source.page.front_matter.get("title")
    declared_title = ""
    if isinstance(declared, str) and declared.strip():
        line = _line_of(source.text, "title:")
        scope: dict[str, Any] = {
            "params": instance.params,
            "vars": page_vars(source.page.front_matter),
        }
        declared_title = _interpolate(declared, scope, line).strip()
    if rendered is None:
        warnings.append(_missing_warning(source, missing))
        instance.title = declared_title or instance.nav_title or source.relative.stem
        instance.body_html = _unpublished_notice(instance.title, missing)
        instance.nav_title = instance.nav_title or instance.title
        return
    warnings.extend(rendered.warnings)
    instance.body_html = rendered.body_html
    instance.downloads = {name: rendered.results[name] for name in rendered.downloads}
    instance.has_charts = 'class="vega-spec"' in rendered.body_html
    heading = _H1.search(rendered.body_html)
    heading_text = html.unescape(_TAG.sub("", heading.group(1))).strip() if heading else ""
    instance.title = declared_title or heading_text or instance.nav_title or source.relative.stem
    if not instance.nav_title:
        instance.nav_title = instance.title
    _check_offline(instance)


def _downloads_folder(output: PurePosixPath) -> PurePosixPath:
    return PurePosixPath(DOWNLOADS_FOLDER, output.with_suffix(""))


def _downloads_href(output: PurePosixPath) -> str:
    """The page's downloads folder, relative to the page (quoted, ending in a slash)."""
    depth = len(output.parts) - 1
    return "../" * depth + quote(str(_downloads_folder(output)), safe="/") + "/"


def _releases(connection: duckdb.DuckDBPyConnection, tables: list[str]) -> list[dict[str, Any]]:
    """The current release of each table the page requires (id, time, revision), for its
    source line; none where the connection has no release metadata."""
    if not tables or RELEASES_RELATION not in existing_relations(connection):
        return []
    placeholders = ", ".join("?" for _ in tables)
    cursor = connection.execute(
        f"select table_name, release_id, created_at, git_revision from {RELEASES_RELATION} "
        f"where table_name in ({placeholders}) order by table_name",
        tables,
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def write_download(result: QueryResult, folder: Path) -> None:
    """A query's rows as ``<name>.csv`` (UTF-8 with BOM, which Excel needs to read Chinese) and
    ``<name>.parquet`` (types as the query returned them)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in result.columns])
    (folder / f"{result.name}.csv").write_text(text.getvalue(), encoding="utf-8-sig")
    table = (
        pa.Table.from_pylist(
            [{column: row.get(column) for column in result.columns} for row in result.rows]
        )
        if result.rows
        else pa.table({column: pa.array([], pa.null()) for column in result.columns})
    )
    pq.write_table(table.select(result.columns), folder / f"{result.name}.parquet")


def _dictionary_page(connection: duckdb.DuckDBPyConnection) -> str | None:
    """数据字典: every published table of the release (its description, release, rows) and its
    columns with their types and the labels the catalog carries (zh / en [unit])."""
    if RELEASES_RELATION not in existing_relations(connection):
        return None
    tables = connection.execute(
        f"select table_name, description_zh, description_en, release_id, created_at, "
        f"row_count from {RELEASES_RELATION} order by table_name"
    ).fetchall()
    parts = [
        "<h1>数据字典 <small>Data dictionary</small></h1>\n<p>每个已发布数据集的列、类型与"
        "含义（当前版本）。<br>The columns, types and meaning of every published table, as "
        "released.</p>\n"
    ]
    parts.append(
        '<ul class="page-index">'
        + "".join(
            f'<li><a href="#{html.escape(name)}">{html.escape(name)}</a></li>'
            for name, *_ in tables
        )
        + "</ul>\n"
    )
    for name, zh, en, release, created, rows in tables:
        columns = connection.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where table_name = ? order by column_index",
            [name],
        ).fetchall()
        body = "".join(
            f"<tr><td><code>{html.escape(column)}</code></td><td>{html.escape(kind)}</td>"
            f"<td>{html.escape(comment or '')}</td></tr>"
            for column, kind, comment in columns
        )
        created_text = created.strftime("%Y-%m-%d %H:%M UTC") if created else ""
        parts.append(
            f'<h2 id="{html.escape(name)}">{html.escape(name)}</h2>\n'
            f"<p>{html.escape(zh or '')}<br>{html.escape(en or '')}</p>\n"
            f'<p class="release">发布版本 Release <code>{html.escape(release or "")}</code>'
            f" · {html.escape(created_text)} · {rows} 行 rows</p>\n"
            '<table class="data-table"><thead><tr><th>列 column</th><th>类型 type</th>'
            f"<th>含义 meaning</th></tr></thead><tbody>{body}</tbody></table>\n"
        )
    return "".join(parts)


def _document_html(path: Path, names: set[str]) -> str:
    """A markdown document of the repository (the methodology, the factors) as a page; its
    links to the other documents given point to their pages."""
    text = path.read_text(encoding="utf-8")
    body = markdown_renderer().render(text)

    def relink(match: re.Match[str]) -> str:
        quote_char = match.group(2)[0]
        href = html.unescape(match.group(2)[1:-1])
        target, hash_mark, fragment = href.partition("#")
        stem = target[:-3] if target.endswith(".md") else None
        if stem in names:
            href = f"{stem}.html" + (hash_mark + fragment if hash_mark else "")
        return f"{match.group(1)}{quote_char}{html.escape(href)}{quote_char}"

    return _ANCHOR_HREF.sub(relink, body)


def _generated_pages(
    connection_factory: ConnectionFactory, documents: dict[str, tuple[str, Path]]
) -> list[_Instance]:
    """The data dictionary (when the connection has release metadata) and the documents."""
    pages = []
    connection = connection_factory()
    try:
        dictionary = _dictionary_page(connection)
    finally:
        connection.close()
    if dictionary is not None:
        title = "数据字典 Data dictionary"
        source = _Source(
            PurePosixPath("data_dictionary.md"),
            DICTIONARY_PAGE,
            "",
            Page("data_dictionary", {"sidebar_position": 1e6}, {}, []),
            None,
        )
        page = _Instance(source, PurePosixPath(DICTIONARY_PAGE), {}, title, title)
        page.body_html = dictionary
        pages.append(page)
    for name, (title, path) in documents.items():
        front_matter = {"sidebar_position": 1e6, "group_title": "文档 Documents"}
        relative = PurePosixPath(DOCUMENTS_FOLDER, f"{name}.md")
        source = _Source(relative, str(path.name), "", Page(name, front_matter, {}, []), None)
        page = _Instance(source, relative.with_suffix(".html"), {}, title, title)
        page.body_html = _document_html(path, set(documents))
        pages.append(page)
    return pages


def _check_offline(instance: _Instance) -> None:
    match = _EXTERNAL_RESOURCE.search(instance.body_html)
    if match:
        url = html.unescape(match.group(1))
        raise PageError(
            _line_of(instance.source.text, url),
            f"the page loads {url} from the internet: pages must work offline "
            "(plain links <a href> are fine, images/scripts/styles are not)",
        )


def _resolve_link(href: str, current: PurePosixPath, outputs: set[str]) -> str | None:
    """The relative href of an internal page link, or None when it is not a known page."""
    path, _, fragment = href.partition("#")
    path, _, query = path.partition("?")
    path = unquote(path)
    if path.startswith("/"):
        target = posixpath.normpath(path.lstrip("/") or ".")
    else:
        target = posixpath.normpath(posixpath.join(str(current.parent), path))
    target = "" if target == "." else target
    candidates = [target] if target.endswith(".html") else []
    candidates += [f"{target}.html", posixpath.join(target, "index.html")]
    for candidate in candidates:
        candidate = posixpath.normpath(candidate)
        if candidate in outputs:
            relative = posixpath.relpath(candidate, str(current.parent) or ".")
            rebuilt = quote(relative, safe="/")
            if query:
                rebuilt += "?" + query
            return rebuilt + ("#" + fragment if fragment else "")
    return None


def _rewrite_links(instance: _Instance, outputs: set[str], warnings: list[str]) -> str:
    """Make page links relative and add `.html`, so they work from `file://`."""

    def replace(match: re.Match[str]) -> str:
        quote_char = match.group(2)[0]
        href = html.unescape(match.group(2)[1:-1])
        if not href or href.startswith(("#", "//")) or _SCHEME.match(href):
            return match.group(0)
        resolved = _resolve_link(href, instance.output, outputs)
        if resolved is None:
            if href.startswith("/") or not posixpath.splitext(href.split("#")[0])[1]:
                warnings.append(f"{instance.source.display_path}: link to unknown page {href}")
            if href.startswith("/"):  # never leave a root-absolute link: it breaks file://
                depth = len(instance.output.parts) - 1
                resolved = "../" * depth + href.lstrip("/")
            else:
                return match.group(0)
        return f"{match.group(1)}{quote_char}{html.escape(resolved)}{quote_char}"

    return _ANCHOR_HREF.sub(replace, instance.body_html)


def _sidebar_position(instance: _Instance) -> float:
    position = instance.source.page.front_matter.get("sidebar_position")
    return float(position) if isinstance(position, int | float) else 1e9


def _nav_tree(instances: list[_Instance]) -> list[NavEntry]:
    """Sidebar entries: the index first, then pages, then one group per folder.

    Pages sort by front matter `sidebar_position`, then title; the pages of a templated page
    keep the order of its params query. A folder group is titled by the `group_title` of one
    of its pages, else by the title of its `index.md`, else by the folder name.
    """
    root = NavEntry("", None)
    folders: dict[tuple[str, ...], NavEntry] = {(): root}
    group_titles: dict[tuple[str, ...], str] = {}

    def folder(parts: tuple[str, ...]) -> NavEntry:
        if parts not in folders:
            entry = NavEntry(parts[-1], None, order=(1, 1e9, 0, parts[-1]))
            folders[parts] = entry
            folder(parts[:-1]).children.append(entry)
        return folders[parts]

    for sequence, instance in enumerate(instances):
        parts = instance.output.parent.parts
        container = folder(parts)
        group_title = instance.source.page.front_matter.get("group_title")
        if parts and isinstance(group_title, str) and group_title.strip():
            group_titles.setdefault(parts, group_title.strip())
        position = _sidebar_position(instance)
        if instance.output.name == "index.html" and parts:
            container.href = str(instance.output)
            group_titles.setdefault(parts, instance.title)
            container.order = (1, position, 0, container.title)
            continue
        if instance.output.name == "index.html":
            order: tuple[Any, ...] = (-1, 0.0, 0, "")
        elif instance.source.param_name is not None:
            order = (0, position, sequence, "")
        else:
            order = (0, position, 0, instance.nav_title)
        container.children.append(NavEntry(instance.nav_title, str(instance.output), order=order))

    for parts, title in group_titles.items():
        entry = folders[parts]
        entry.title = title
        entry.order = (*entry.order[:3], title)

    def sort(entry: NavEntry) -> None:
        entry.children.sort(key=lambda child: child.order)
        for child in entry.children:
            sort(child)

    sort(root)
    return root.children


@lru_cache(maxsize=1)
def vega_javascript_bundle() -> str:
    """vega, vega-lite and vega-embed in one script, from the vl-convert package (no CDN)."""
    import vl_convert

    return vl_convert.javascript_bundle()


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _auto_index(instances: list[_Instance], site_title: str) -> str:
    items = "".join(
        f'<li><a href="{html.escape(quote(str(instance.output), safe="/"))}">'
        f"{html.escape(instance.title)}</a></li>"
        for instance in instances
    )
    return f'<h1>{html.escape(site_title)}</h1>\n<ul class="page-index">{items}</ul>\n'


def _check_output(out_dir: Path) -> None:
    """Refuse to replace anything but a folder that an earlier build wrote."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ReportBuildError.at(str(out_dir), 0, "output path exists and is not a folder")
        if any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).exists():
            raise ReportBuildError.at(
                str(out_dir),
                0,
                f"output folder is not empty and was not built by reports (no {SITE_MARKER}): "
                "refusing to replace it",
            )


def _staging_dir(out_dir: Path) -> Path:
    """A fresh folder beside `out_dir` (same file system, so the final swap is a rename)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))


def _swap_in(staging: Path, out_dir: Path) -> None:
    os.chmod(staging, 0o755)
    previous = None
    if out_dir.exists():
        previous = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.previous-", dir=out_dir.parent))
        previous.rmdir()
        os.replace(out_dir, previous)
    os.replace(staging, out_dir)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def build_site(
    pages_dir: Path,
    out_dir: Path,
    *,
    connection_factory: ConnectionFactory,
    site_title: str = DEFAULT_SITE_TITLE,
    show_sql: bool = False,
    documents: dict[str, tuple[str, Path]] | None = None,
) -> SiteBuildResult:
    """Render every page of `pages_dir` into a static site at `out_dir`.

    `connection_factory` is called once per rendered page (and once per templated page for
    its params query) and must return a new DuckDB connection with the tables the pages
    read; the build closes it after use.
    Every problem is collected; if there is any, ReportBuildError lists them all with page
    path and line, and the previous site at `out_dir` is left untouched.

    Each chart and table links its query's rows for download (``downloads/<page>/``, CSV and
    Parquet); each page names the release of every table it requires and links the data
    dictionary (``data_dictionary.html``, generated from the release's metadata) and the
    ``documents`` (name → (title, markdown file), written as ``docs/<name>.html``).
    """
    pages_dir, out_dir = Path(pages_dir), Path(out_dir)
    if not pages_dir.is_dir():
        raise ReportBuildError.at(str(pages_dir), 0, "pages folder not found")
    _check_output(out_dir)
    problems: list[BuildProblem] = []
    warnings: list[str] = []
    sources = _parse_sources(pages_dir, problems)
    instances = _instances(sources, connection_factory, problems, warnings)
    first_source: dict[str, _Source] = {}
    for instance in instances:
        output = str(instance.output)
        other = first_source.setdefault(output, instance.source)
        if other is not instance.source:
            problems.append(
                BuildProblem(
                    instance.source.display_path,
                    1,
                    f"writes {output}, as {other.display_path} does",
                )
            )
    for instance in instances:
        try:
            _render(instance, connection_factory, show_sql, warnings)
        except ReportBuildError as error:
            problems.extend(error.problems)
        except PageError as error:
            problems.append(BuildProblem(instance.source.display_path, error.line, error.message))
    if problems:
        raise ReportBuildError(problems)
    if not any(str(instance.output) == "index.html" for instance in instances):
        index_source = _Source(
            PurePosixPath("index.md"), "index", "", Page("index", {}, {}, []), None
        )
        index = _Instance(index_source, PurePosixPath("index.html"), {}, "首页 Home", "首页 Home")
        index.body_html = _auto_index(instances, site_title)
        instances.insert(0, index)

    instances += _generated_pages(connection_factory, documents or {})
    outputs = {str(instance.output) for instance in instances}
    nav = _nav_tree(instances)
    template = _environment().get_template("base.html.j2")
    staging = _staging_dir(out_dir)
    try:
        assets = staging / "assets"
        assets.mkdir()
        for name in ("style.css", "reports.js"):
            shutil.copyfile(PACKAGE_DIR / "static" / name, assets / name)
        (staging / VEGA_BUNDLE).write_text(vega_javascript_bundle(), encoding="utf-8")
        written: list[Path] = []
        for instance in instances:
            body = _rewrite_links(instance, outputs, warnings)
            depth = len(instance.output.parts) - 1
            page_html = template.render(
                site_title=site_title,
                page_title=instance.title,
                body=Markup(body),
                nav=nav,
                current=str(instance.output),
                root="../" * depth,
                has_charts=instance.has_charts,
                releases=instance.releases,
                dictionary=DICTIONARY_PAGE if DICTIONARY_PAGE in outputs else None,
                documents=[
                    (title, f"{DOCUMENTS_FOLDER}/{name}.html")
                    for name, (title, _) in (documents or {}).items()
                ],
                vega_bundle=VEGA_BUNDLE,
                quote=lambda path: quote(path, safe="/"),
            )
            target = staging / instance.output
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page_html, encoding="utf-8")
            written.append(Path(instance.output))
            for result in instance.downloads.values():
                write_download(result, staging / _downloads_folder(instance.output))
        (staging / SITE_MARKER).write_text(
            "Built by the reports package; the whole folder is replaced on each build.\n",
            encoding="utf-8",
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_in(staging, out_dir)
    return SiteBuildResult(out_dir, written, warnings)


def build_published_site(
    published_dir: Path,
    out_dir: Path,
    pages_dir: Path = PACKAGE_DIR / "pages",
    *,
    show_sql: bool = False,
) -> SiteBuildResult:
    """The report site over a published folder (its catalog views, locked down), with the
    repository's documents: what `emissions report`, the report_site asset and
    `python -m reports` build."""
    return build_site(
        pages_dir,
        out_dir,
        connection_factory=lambda: published_views_connection(Path(published_dir)),
        show_sql=show_sql,
        documents=REPOSITORY_DOCUMENTS,
    )


__all__ = [
    "NavEntry",
    "SiteBuildResult",
    "build_published_site",
    "build_site",
    "published_views_connection",
]
