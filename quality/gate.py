"""Running a Great Expectations suite, declared in YAML, on a pandas frame fetched from DuckDB."""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).resolve().parent / "suites"
THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.yml"
SAMPLE_ROWS = 5
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, Any]:
    """The gates' thresholds (quality/thresholds.yml, or the file EMISSIONS_QUALITY_THRESHOLDS
    names); suites refer to them as ``${name}`` in queries or ``{threshold: name}`` values."""
    override = os.environ.get("EMISSIONS_QUALITY_THRESHOLDS", "").strip()
    chosen = Path(override) if override else path
    values = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    return {
        name: entry["value"] if isinstance(entry, dict) else entry for name, entry in values.items()
    }


def _check_expectations(path: Path, where: str, expectations: tuple[dict[str, Any], ...]) -> None:
    for index, expectation in enumerate(expectations, start=1):
        if set(expectation) - {"type", "kwargs", "meta"} or "type" not in expectation:
            raise ValueError(
                f"{path}: {where} expectation {index} must have `type` and optional "
                "`kwargs`, `meta`"
            )


@dataclass(frozen=True)
class DerivedCheck:
    """Expectations on the result of a query (sums across tables, year-on-year changes)."""

    name: str
    description: str
    query: str
    expectations: tuple[dict[str, Any], ...]


SUITE_KEYS = {"expectations", "checks"}


@dataclass(frozen=True)
class Suite:
    """The gate of one published table: ``quality/suites/<table>.yml``, bound by its name.

    Its SQL speaks of published tables by their published names (the gate registers each as a
    view of the relation it publishes) and of the warehouse's other relations by schema.
    """

    name: str  # the published table, the file's stem
    expectations: tuple[dict[str, Any], ...]
    checks: tuple[DerivedCheck, ...] = ()

    @classmethod
    def load(cls, path: Path) -> Suite:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ValueError(f"suite file {path}: {error}") from None
        if not isinstance(document, dict):
            raise ValueError(f"suite file {path}: expected a mapping of {sorted(SUITE_KEYS)}")
        unknown = set(document) - SUITE_KEYS
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {', '.join(sorted(unknown))}: a suite has only "
                "`expectations` and `checks`; it is bound to its published table by its file "
                "name (quality/suites/<table>.yml), the table to its mart by the mart's YAML"
            )
        expectations = tuple(document.get("expectations") or ())
        _check_expectations(path, "the table's", expectations)
        checks = []
        for entry in document.get("checks") or ():
            missing = {"name", "query", "expectations"} - set(entry)
            if missing:
                raise ValueError(f"{path}: a check lacks {', '.join(sorted(missing))}")
            check_expectations = tuple(entry["expectations"])
            _check_expectations(path, f"check {entry['name']}'s", check_expectations)
            checks.append(
                DerivedCheck(
                    name=entry["name"],
                    description=entry.get("description", ""),
                    query=entry["query"],
                    expectations=check_expectations,
                )
            )
        return cls(name=path.stem, expectations=expectations, checks=tuple(checks))


class SuiteBindingError(ValueError):
    """Published tables and suites do not match one to one; one line per table or suite."""


def bind_suites(declared: dict[str, str], suites_dir: Path = SUITES_DIR) -> dict[str, Suite]:
    """The suite of every published table, by table name: ``suites_dir/<table>.yml``.

    ``declared`` maps each published table to where it is declared (for the message). A table
    without a suite, or a suite without a table, is an error naming both.
    """
    files = {path.stem: path for path in sorted(suites_dir.glob("*.yml"))}
    problems = [
        f"published table {name} (declared in {where}) has no suite: write "
        f"{suites_dir / (name + '.yml')}"
        for name, where in sorted(declared.items())
        if name not in files
    ]
    problems += [
        f"suite {path} has no published table {name}: declare config.meta.publish.table: "
        f"{name} on its mart's YAML, or delete the suite"
        for name, path in files.items()
        if name not in declared
    ]
    if problems:
        raise SuiteBindingError("\n".join(problems))
    return {name: Suite.load(files[name]) for name in sorted(declared)}


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    check: str | None = None  # the derived check it belongs to; None for the table itself
    observed: Any = None
    unexpected_count: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    exception: str | None = None

    def one_line(self, suite: str) -> str:
        where = f" on {self.column}" if self.column else ""
        if self.check:
            suite = f"{suite}/{self.check}"
        if self.exception:
            return f"{suite}: {self.expectation}{where} raised {self.exception}"
        detail = []
        if self.unexpected_count:
            detail.append(f"{self.unexpected_count} unexpected row(s)")
        if self.observed is not None and self.unexpected_count is None:  # a row rule's
            detail.append(f"observed {_short(self.observed)}")  # count is said already
        if self.sample:
            detail.append(f"e.g. {_short(self.sample[0])}")
        return f"{suite}: {self.expectation}{where} failed: " + "; ".join(detail)


@dataclass
class GateResult:
    suite: str
    model: str  # the relation validated (the published table's source relation)
    success: bool
    row_count: int
    outcomes: list[ExpectationOutcome]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    def reasons(self) -> list[str]:
        return [outcome.one_line(self.suite) for outcome in self.failures]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def substitute(sql: str, thresholds: dict[str, Any]) -> str:
    """Replace ``${name}`` in a suite's SQL by the threshold's value (numbers only)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in thresholds:
            raise KeyError(f"unknown threshold ${{{name}}} (see quality/thresholds.yml)")
        number = thresholds[name]
        if not isinstance(number, int | float) or isinstance(number, bool):
            raise ValueError(f"threshold {name} must be a number to appear in SQL, got {number!r}")
        return repr(number)

    return PLACEHOLDER.sub(value, sql)


def resolve_kwargs(
    kwargs: dict[str, Any], run_query, thresholds: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``{query: "select …"}`` becomes the query's first column (a list), ``{scalar: "select …"}``
    its first value, ``{threshold: name}`` the configured threshold; anything else as written."""
    thresholds = thresholds or {}
    resolved = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and set(value) == {"query"}:
            resolved[key] = [row[0] for row in run_query(substitute(value["query"], thresholds))]
        elif isinstance(value, dict) and set(value) == {"scalar"}:
            rows = run_query(substitute(value["scalar"], thresholds))
            resolved[key] = rows[0][0] if rows else None
        elif isinstance(value, dict) and set(value) == {"threshold"}:
            if value["threshold"] not in thresholds:
                raise KeyError(f"unknown threshold {value['threshold']} (quality/thresholds.yml)")
            resolved[key] = thresholds[value["threshold"]]
        else:
            resolved[key] = value
    return resolved


def run_suite(
    frame, suite: Suite, run_query, fetch_frame=None, thresholds=None, relation: str | None = None
) -> GateResult:
    """Validate a pandas frame against the suite, and each derived check's query result.

    ``run_query(sql)`` returns rows (resolves query kwargs); ``fetch_frame(sql)`` returns a
    pandas frame (the derived checks). ``thresholds`` default to quality/thresholds.yml.
    ``relation`` is the warehouse relation the frame came from, recorded in the result.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # GX imports pyspark when it is installed (it is, for EMISSIONS_ENGINE=spark), and pyspark
    # warns about pandas 3 at import; the gate validates pandas frames and uses no Spark.
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    import great_expectations as gx  # imported here: it costs seconds
    from great_expectations.data_context.types.base import ProgressBarsConfig

    thresholds = load_thresholds() if thresholds is None else thresholds
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(f"{suite.name}_source")
    batches = [(None, suite.name, suite.expectations, frame)]
    for check in suite.checks:
        if fetch_frame is None:
            raise ValueError(f"suite {suite.name} has derived checks: pass fetch_frame")
        batches.append(
            (
                check.name,
                check.name,
                check.expectations,
                fetch_frame(substitute(check.query, thresholds)),
            )
        )
    outcomes: list[ExpectationOutcome] = []
    for check_name, asset_name, expectations, batch_frame in batches:
        outcomes += _validate(
            gx,
            source,
            asset_name,
            suite.name,
            check_name,
            expectations,
            batch_frame,
            run_query,
            thresholds,
        )
    return GateResult(
        suite=suite.name,
        model=relation or suite.name,
        success=all(outcome.success for outcome in outcomes),
        row_count=len(frame),
        outcomes=outcomes,
    )


def _validate(
    gx, source, asset_name, suite_name, check_name, expectations, frame, run_query, thresholds
) -> list[ExpectationOutcome]:
    batch_definition = source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(
        "whole_frame"
    )
    gx_suite = gx.ExpectationSuite(name=f"{suite_name}.{check_name or 'table'}")
    for declared in expectations:
        kwargs = resolve_kwargs(declared.get("kwargs") or {}, run_query, thresholds)
        expectation_class = gx.expectations.registry.get_expectation_impl(declared["type"])
        gx_suite.add_expectation(expectation_class(**kwargs, meta=declared.get("meta") or None))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    validation = batch.validate(
        gx_suite,
        result_format={
            "result_format": "COMPLETE",
            "partial_unexpected_count": SAMPLE_ROWS,
            "unexpected_index_column_names": None,
        },
    )
    outcomes = []
    for result in validation.results:
        config = result.expectation_config
        details = result.result or {}
        indices = (details.get("unexpected_index_list") or [])[:SAMPLE_ROWS]
        sample = [
            {k: _jsonable(v) for k, v in frame.iloc[index].to_dict().items()}
            for index in indices
            if isinstance(index, int) and 0 <= index < len(frame)
        ]
        if not sample and details.get("partial_unexpected_list"):
            sample = [{"value": v} for v in details["partial_unexpected_list"][:SAMPLE_ROWS]]
        exception = (result.exception_info or {}).get("exception_message")
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column")
                or ",".join(config.kwargs.get("column_list") or [])
                or None,
                success=bool(result.success),
                check=check_name,
                observed=_observed(details, config, frame),
                unexpected_count=details.get("unexpected_count"),
                sample=sample,
                exception=exception if exception and not result.success else None,
            )
        )
    return outcomes


def _observed(details: dict[str, Any], config, frame) -> Any:
    """What the expectation saw: GX's observed value where it has one (row counts, sets,
    aggregates); for a rule on each row, how many rows broke it of how many were checked, and
    for a range, the column's smallest and largest value."""
    observed = details.get("observed_value")
    if observed is not None:
        return _jsonable(observed)
    checked = details.get("element_count")
    if checked is None:
        if "unexpected_count" in details or "missing_count" in details:  # a set of values
            return (
                f"{details.get('unexpected_count') or 0} value(s) not in the set, "
                f"{details.get('missing_count') or 0} of the set missing"
            )
        return None
    unexpected = details.get("unexpected_count") or 0
    text = f"{unexpected} of {checked} row(s) outside the rule"
    column = config.kwargs.get("column")
    if config.type == "expect_column_values_to_be_between" and column in frame.columns:
        values = frame[column].dropna()
        if len(values):
            try:
                smallest, largest = _jsonable(values.min()), _jsonable(values.max())
            except TypeError:
                return text
            text += f"; values {_brief(smallest)} … {_brief(largest)}"
    return text


def _brief(value: Any) -> str:
    """A value of a range, floats to 6 significant digits."""
    return format(value, ".6g") if isinstance(value, float) else _short(value, 40)


def _short(value: Any, limit: int = 160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _jsonable(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
