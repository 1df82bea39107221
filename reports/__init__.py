"""Evidence-style report pages (markdown + named SQL + chart components) built to static HTML.

Public API: `build_site`, `published_views_connection`, `serve`, `parse_page`,
`render_page`, `format_value`, `ReportBuildError`, `SiteBuildResult`.
"""

from publish.catalog import published_views_connection
from reports.errors import ReportBuildError
from reports.formats import format_value
from reports.parser import parse_page
from reports.render import render_page
from reports.serve import serve
from reports.site import SiteBuildResult, build_site

__all__ = [
    "ReportBuildError",
    "SiteBuildResult",
    "build_site",
    "format_value",
    "parse_page",
    "published_views_connection",
    "render_page",
    "serve",
]
