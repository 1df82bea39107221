"""The `emissions` command: sample, run, ui, demo and report, on the configured EMISSIONS_HOME."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import NoReturn

from orchestration.settings import ENVIRONMENT, REPO_ROOT, Settings, SettingsError


def _years(text: str) -> tuple[int, int]:
    try:
        first, _, last = text.partition("-")
        first_year, last_year = int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YEAR or FIRST-LAST") from None
    if last_year < first_year:
        raise argparse.ArgumentTypeError(f"{text!r}: the last year is before the first")
    return first_year, last_year


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def sample_as_of(args: argparse.Namespace, settings: Settings) -> date:
    """The sample's last day with data: --as-of; else the day before the platform's today
    (EMISSIONS_AS_OF, else today in China), or 31 December of --years' last year if earlier."""
    from orchestration.settings import last_day_with_data

    if getattr(args, "as_of", None) is not None:
        return args.as_of
    as_of = last_day_with_data(settings.as_of)
    if args.years and args.years[1] < as_of.year:
        return date(args.years[1], 12, 31)
    return as_of


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from sample import generate_landing_zone

    as_of = sample_as_of(args, settings)
    first_year = args.years[0] if args.years else settings.first_year
    if args.years and args.years[1] != as_of.year:
        print(
            f"emissions sample: --years {args.years[0]}-{args.years[1]} ends in another year than "
            f"the as-of date {as_of} (the world's years run to the as-of date's)",
            file=sys.stderr,
        )
        return 2
    if as_of.year < first_year:
        print(f"emissions sample: the as-of date {as_of} is before {first_year}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve() if args.out else settings.landing_dir
    started = time.perf_counter()
    summary = generate_landing_zone(
        out,
        first_year=first_year,
        as_of=as_of,
        scale=args.scale or settings.sample_scale,
        seed=settings.sample_seed if args.seed is None else args.seed,
        progress=sys.stderr.isatty(),
    )
    landing_day = date.fromordinal(as_of.toordinal() + 1)
    print(f"sample landing zone: {out} (data up to {as_of}, as delivered by {landing_day})")
    for feed, files in sorted(summary.files_per_feed.items()):
        print(f"  {feed:<28} {files:>5} files {summary.rows_per_feed.get(feed, 0):>12,} rows")
    print(
        f"  {summary.total_files} files, {summary.total_rows:,} rows, "
        f"{time.perf_counter() - started:.1f}s"
    )
    if as_of.year > settings.last_year or first_year < settings.first_year:
        print(
            f"warning: the sample's years {first_year}-{as_of.year} are outside the platform's "
            f"{settings.first_year}-{settings.last_year} (EMISSIONS_FIRST_YEAR, "
            "EMISSIONS_LAST_YEAR): the ingest rejects the files of the other years "
            "(period_out_of_range)",
            file=sys.stderr,
        )
    return 0


def _materialise(
    settings: Settings,
    selection: str | None,
    verbose: bool,
    days: tuple[date, date] | None = None,
):
    """Run everything, one line per finished run on the terminal; then what failed and where
    the steps' output went. None (after one line saying why) if the run was refused."""
    from orchestration.runner import RunRefused, materialise_everything

    terminal = sys.stdout  # the runner sends the steps' own output to a log file

    def progress(line: str) -> None:
        print(f"  {line}", file=terminal, flush=True)

    try:
        outcome = materialise_everything(
            settings, selection=selection, verbose=verbose, progress=progress, days=days
        )
    except RunRefused as refusal:
        print(f"emissions: {refusal}", file=sys.stderr)
        return None
    for line in outcome.failure_lines:
        print(f"FAILED {line}", file=sys.stderr)
    print(outcome.summary_line())
    if outcome.log_path is not None:
        print(f"step output (dbt's log lines): {outcome.log_path}")
    return outcome


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    outcome = _materialise(settings, args.select, args.verbose)
    return 0 if outcome is not None and outcome.success else 1


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    outcome = _materialise(settings, None, args.verbose, days=(args.day_from, args.day_to))
    return 0 if outcome is not None and outcome.success else 1


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.instance import ensure_instance

    ensure_instance(settings.dagster_home)
    # `dg dev`: the project of pyproject.toml's [tool.dg] (the code location of workspace.yaml),
    # with its webserver and daemon, on this home's instance (DAGSTER_HOME of the settings).
    dg_cli = Path(sys.executable).with_name("dg")
    command = [str(dg_cli), "dev", "--host", "127.0.0.1", "--port", str(args.port)]
    print(f"Dagster UI on http://127.0.0.1:{args.port} (home {settings.home}); Ctrl-C stops it.")
    env = {**os.environ, **settings.as_env()}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return run_process_group(command, cwd=REPO_ROOT, env=env)


UI_STOP_SECONDS = 20  # what `dg dev` gets to stop its webserver, daemon and code servers


def run_process_group(command: list[str], *, cwd: Path, env: dict[str, str]) -> int:
    """Run ``command`` in a process group of its own and, on Ctrl-C or SIGTERM, stop the whole
    group: SIGINT first (``dg dev`` then stops its webserver, daemon and code servers), and
    whatever is left after UI_STOP_SECONDS is killed. So nothing it started outlives it."""
    import signal

    def child_signals() -> None:  # a shell's background job starts with SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    process = subprocess.Popen(
        command, cwd=cwd, env=env, start_new_session=True, preexec_fn=child_signals
    )

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    previous = {
        number: signal.signal(number, interrupted) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        return process.wait()
    except KeyboardInterrupt:
        print("stopping the Dagster UI and everything it started …", file=sys.stderr)
        return _stop_group(process, signal.SIGINT)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _stop_group(process, signal.SIGKILL, wait=0)  # any straggler of the group


def _stop_group(process: subprocess.Popen, first_signal: int, wait: float = UI_STOP_SECONDS) -> int:
    import signal

    def send(number: int) -> bool:
        try:
            os.killpg(process.pid, number)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    if not send(first_signal):
        return process.poll() or 0
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        process.poll()  # reap the leader: its zombie would keep the group "alive"
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        send(signal.SIGKILL)
    try:
        code = process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        code = 1
    return 130 if code in (None, -signal.SIGINT) else code


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.runner import province_summary

    if not any(settings.landing_dir.rglob("*.*")) if settings.landing_dir.exists() else True:
        sample_args = argparse.Namespace(
            out=None, years=None, scale=None, seed=None, as_of=args.as_of
        )
        if cmd_sample(sample_args, settings) != 0:
            return 1
    outcome = _materialise(settings, None, args.verbose)
    if outcome is None or not outcome.success:
        return 1
    print()
    print(f"warehouse (DuckDB):   {settings.warehouse_path}")
    print(f"published extracts:   {settings.published_dir}")
    print(f"report site:          {settings.site_dir / 'index.html'}")
    print(f"Dagster UI:           {sys.argv[0]} ui   (home {settings.dagster_home})")
    print()
    print(province_summary(settings))
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.settings import REPORT_PAGES_DIR
    from reports.serve import serve
    from reports.site import build_published_site

    result = build_published_site(settings.published_dir, settings.site_dir, REPORT_PAGES_DIR)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{len(result.pages)} page(s) written to {settings.site_dir}")
    if args.serve:
        serve(settings.site_dir, host="127.0.0.1", port=args.port)
    return 0


def _run_read_only(con, statement: str, max_rows: int) -> str | None:
    """Run a reader's statement on the locked-down catalog: None if it ran, else the one line
    that says why not (refused: not a read, or a file outside the releases; or an SQL error)."""
    import duckdb

    from publish.catalog import QueryRefused, check_read_only

    try:
        check_read_only(statement)
        relation = con.sql(statement)
        if relation is not None:
            relation.show(max_rows=max_rows, max_width=200)
    except QueryRefused as refusal:
        return str(refusal)
    except duckdb.PermissionException as error:
        return f"refused: {str(error).splitlines()[0]} (only the published releases are readable)"
    except duckdb.Error as error:
        return f"SQL error: {error}"
    return None


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    """Statisticians' SQL on the published release: never blocks (nor waits for) a run, and
    reads the published views only (publish.catalog: no writes, no other file, no attaching)."""
    from publish.catalog import open_catalog

    try:
        con = open_catalog(settings.published_dir)
    except FileNotFoundError as error:
        print(f"{error}: run `emissions run` first", file=sys.stderr)
        return 1
    try:
        if args.query:
            problem = _run_read_only(con, args.query, args.max_rows)
            if problem is not None:
                print(problem, file=sys.stderr)
                return 1
            return 0
        tables = [row[0] for row in con.execute("show tables").fetchall()]
        print(f"Published tables ({settings.published_dir}): {', '.join(tables)}")
        print(
            "Read-only: SELECT, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN. End a statement with ';'. "
            "Ctrl-D quits."
        )
        buffer: list[str] = []
        while True:
            try:
                line = input("sql> " if not buffer else "...> ")
            except EOFError:
                print()
                return 0
            buffer.append(line)
            if line.rstrip().endswith(";"):
                statement = "\n".join(buffer)
                buffer = []
                problem = _run_read_only(con, statement, args.max_rows)
                if problem is not None:
                    print(problem)
    finally:
        con.close()


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error that names the close matches of what was mistyped (an
    unknown command or option), and the help to read; exit code 2 as argparse's."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}{self._suggestion(message)} (see {self.prog} -h)\n")

    def _suggestion(self, message: str) -> str:
        import difflib
        import re

        choice = re.search(r"invalid choice: '([^']*)'", message)
        if choice:
            known = [
                name
                for action in self._actions
                if isinstance(action, argparse._SubParsersAction)
                for name in action.choices
            ]
            wrong = [choice.group(1)]
        else:
            unknown = re.search(r"unrecognized arguments: (.*)$", message)
            if not unknown:
                return ""
            known = sorted(self._options())
            wrong = [word.split("=")[0] for word in unknown.group(1).split() if word[:1] == "-"]
        matches = [m for w in wrong for m in difflib.get_close_matches(w, known, n=1, cutoff=0.6)]
        return f"; did you mean {', '.join(matches)}?" if matches else ""

    def _options(self) -> set[str]:
        """The options of this parser and of its commands (argparse reports a command's
        unknown option from the root)."""
        found = {option for action in self._actions for option in action.option_strings}
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for command in action.choices.values():
                    found |= command._options() if isinstance(command, _Parser) else set()
        return found - {"-h", "--help"}


def parser() -> argparse.ArgumentParser:
    table = "\n".join(f"  {name:<24} default {d}" for name, (_f, d, _m) in ENVIRONMENT.items())
    root = _Parser(
        prog="emissions",
        description="Shanxi carbon-emission statistics platform: ingest, account, check, "
        "publish and report.",
        epilog="Configuration (environment variables):\n" + table,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sample = commands.add_parser("sample", help="write a generated sample landing zone")
    sample.add_argument("--out", help="landing zone to write (default $EMISSIONS_LANDING)")
    sample.add_argument(
        "--as-of",
        type=_day,
        help="the last day with data, YYYY-MM-DD (default: yesterday, China time; the files "
        "are those that would have arrived by the next morning)",
    )
    sample.add_argument(
        "--years",
        type=_years,
        help="FIRST-LAST, e.g. 2015-2026: the first year, and the as-of date's year (a LAST "
        "before yesterday's year makes the as-of date 31 December of it)",
    )
    sample.add_argument("--scale", type=int, help="size factor; 1 is small and fast")
    sample.add_argument("--seed", type=int, help="random seed (same seed, same files)")
    sample.set_defaults(handler=cmd_sample)

    run = commands.add_parser(
        "run",
        help="materialise every asset headless; non-zero exit if a step or blocking check fails",
    )
    run.add_argument(
        "--select", help="Dagster asset selection, e.g. 'raw_stats__energy_consumption+'"
    )
    run.add_argument(
        "--verbose", action="store_true", help="stream every Dagster event and dbt log line"
    )
    run.set_defaults(handler=cmd_run)

    backfill = commands.add_parser(
        "backfill",
        help="recompute the daily nowcast of a range of days and publish it",
        description="One run of nowcast_daily over the days FROM to TO (both included): their "
        "meter and dispatch files loaded, the daily models built for those days only; then "
        "publish_nowcast (disclosure, gates, release, report site). Visible in the UI's runs "
        "as any backfill.",
    )
    backfill.add_argument("--from", dest="day_from", type=_day, required=True, help="YYYY-MM-DD")
    backfill.add_argument("--to", dest="day_to", type=_day, required=True, help="YYYY-MM-DD")
    backfill.add_argument(
        "--verbose", action="store_true", help="stream every Dagster event and dbt log line"
    )
    backfill.set_defaults(handler=cmd_backfill)

    ui = commands.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000, help="port of the UI (default 3000)")
    ui.set_defaults(handler=cmd_ui)

    demo = commands.add_parser(
        "demo", help="write a sample landing zone if there is none, run everything, summarise"
    )
    demo.add_argument(
        "--verbose", action="store_true", help="stream every Dagster event and dbt log line"
    )
    demo.add_argument(
        "--as-of",
        type=_day,
        help="the sample's last day with data when it writes one (default: yesterday)",
    )
    demo.set_defaults(handler=cmd_demo)

    sql = commands.add_parser(
        "sql",
        help="SQL on the published tables (read-only; safe while a run writes)",
        description="Open published/catalog.duckdb read-only: one view per published table, "
        "plus release_manifests and release_gate_results. Only reads run: a write, a file "
        "outside the published releases, ATTACH, INSTALL, LOAD or SET is refused with one "
        "line and a non-zero exit. With a query, print its result; without, a prompt.",
    )
    sql.add_argument("query", nargs="?", help="a SQL statement to run and print")
    sql.add_argument(
        "--max-rows", type=int, default=40, help="rows of a result printed at most (default 40)"
    )
    sql.set_defaults(handler=cmd_sql)

    report = commands.add_parser("report", help="build the report site from the published release")
    report.add_argument("--serve", action="store_true", help="then serve it on 127.0.0.1")
    report.add_argument("--port", type=int, default=8000, help="port of --serve (default 8000)")
    report.set_defaults(handler=cmd_report)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"emissions: configuration error: {error}", file=sys.stderr)
        return 2
    settings.ensure_dirs()
    return args.handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
