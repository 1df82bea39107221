"""Running a Great Expectations suite, declared in YAML, on a pandas frame fetched from DuckDB."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Suite:
    name: str
    model: str  # the warehouse relation it validates, e.g. marts.out_emissions__by_city
    expectations: tuple[dict[str, Any], ...]

    @classmethod
    def load(cls, path: Path) -> Suite:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        expectations = tuple(document.get("expectations") or ())
        for index, expectation in enumerate(expectations, start=1):
            if set(expectation) - {"type", "kwargs", "meta"} or "type" not in expectation:
                raise ValueError(
                    f"{path}: expectation {index} must have `type` and optional `kwargs`, `meta`"
                )
        return cls(name=document["suite"], model=document["model"], expectations=expectations)


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    observed: Any = None
    unexpected_count: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    exception: str | None = None

    def one_line(self, suite: str) -> str:
        where = f" on {self.column}" if self.column else ""
        if self.exception:
            return f"{suite}: {self.expectation}{where} raised {self.exception}"
        detail = []
        if self.unexpected_count:
            detail.append(f"{self.unexpected_count} unexpected row(s)")
        if self.observed is not None:
            detail.append(f"observed {_short(self.observed)}")
        if self.sample:
            detail.append(f"e.g. {_short(self.sample[0])}")
        return f"{suite}: {self.expectation}{where} failed: " + "; ".join(detail)


@dataclass
class GateResult:
    suite: str
    model: str
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


def resolve_kwargs(kwargs: dict[str, Any], run_query) -> dict[str, Any]:
    """``{query: "select …"}`` becomes the query's first column (a list), ``{scalar: "select …"}``
    its first value; anything else is taken as written."""
    resolved = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and set(value) == {"query"}:
            resolved[key] = [row[0] for row in run_query(value["query"])]
        elif isinstance(value, dict) and set(value) == {"scalar"}:
            rows = run_query(value["scalar"])
            resolved[key] = rows[0][0] if rows else None
        else:
            resolved[key] = value
    return resolved


def run_suite(frame, suite: Suite, run_query) -> GateResult:
    """Validate a pandas frame against the suite. ``run_query(sql)`` resolves query kwargs."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # imported here: it costs seconds
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas(f"{suite.name}_source")
        .add_dataframe_asset(suite.model)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    gx_suite = gx.ExpectationSuite(name=suite.name)
    for declared in suite.expectations:
        kwargs = resolve_kwargs(declared.get("kwargs") or {}, run_query)
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
                observed=_jsonable(details.get("observed_value")),
                unexpected_count=details.get("unexpected_count"),
                sample=sample,
                exception=exception if exception and not result.success else None,
            )
        )
    return GateResult(
        suite=suite.name,
        model=suite.model,
        success=bool(validation.success),
        row_count=len(frame),
        outcomes=outcomes,
    )


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
