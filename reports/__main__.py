"""Command line: build the report site from a published release, optionally serve it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.errors import ReportBuildError
from reports.serve import serve
from reports.site import build_published_site

DEFAULT_PAGES = Path(__file__).resolve().parent / "pages"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reports", description="Build the static report site."
    )
    parser.add_argument("--published", type=Path, required=True, help="published/ folder")
    parser.add_argument("--out", type=Path, required=True, help="site folder to (re)write")
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="pages folder")
    parser.add_argument("--show-sql", action="store_true", help="show each query under it")
    parser.add_argument("--serve", action="store_true", help="serve the site after building")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args(argv)

    try:
        result = build_published_site(
            arguments.published, arguments.out, arguments.pages, show_sql=arguments.show_sql
        )
    except ReportBuildError as error:
        print(f"report build failed:\n{error}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {len(result.pages)} pages to {result.out_dir}")
    if arguments.serve:
        serve(result.out_dir, arguments.host, arguments.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
