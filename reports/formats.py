"""Number formats for the `fmt` prop: named units (万吨, 亿元, pct …) and Excel-style patterns.

One `NumberFormat` drives three outputs so that a number looks the same everywhere: the text
in tables, big values and tooltips (`format`), the Vega expression for chart axis labels
(`vega_label_expression`) and the unit appended to axis titles (`unit`). Rounding is
half-up (四舍五入) on the decimal value, not on the binary float.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

NULL_TEXT = "–"


@dataclass(frozen=True)
class NumberFormat:
    """How to print a number: scale, decimals, thousands separators, prefix/suffix, unit."""

    scale: Decimal = Decimal(1)
    min_decimals: int = 0
    max_decimals: int = 0
    thousands: bool = True
    prefix: str = ""
    suffix: str = ""  # attached to the number, e.g. "%"
    unit: str = ""  # separated by a space and used in axis titles, e.g. "万吨"
    negative: NumberFormat | None = None  # Excel second section: formats abs(value)
    zero: NumberFormat | None = None  # Excel third section
    constant: str | None = None  # an Excel section without digits prints only its text

    def format(self, value: Any) -> str:
        """The display text of `value`; non-numbers are printed as they are."""
        number = _to_decimal(value)
        if number is None:
            return _plain_text(value)
        if not number.is_finite():
            return NULL_TEXT
        if self.constant is not None:
            return self.constant
        if number == 0 and self.zero is not None:
            return self.zero.format(0)
        if number < 0 and self.negative is not None:
            return self.negative.format(-number)
        scaled = number * self.scale
        rounded = scaled.quantize(Decimal(1).scaleb(-self.max_decimals), rounding=ROUND_HALF_UP)
        if rounded == 0:
            rounded = abs(rounded)
        text = format(rounded, f"{',' if self.thousands else ''}.{self.max_decimals}f")
        if self.max_decimals > self.min_decimals:
            integer, _, fraction = text.partition(".")
            fraction = fraction.rstrip("0").ljust(self.min_decimals, "0")
            text = f"{integer}.{fraction}" if fraction else integer
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.prefix}{text}{self.suffix}{unit}"

    def vega_label_expression(self) -> str:
        """A Vega expression formatting `datum.value` for axis labels (the unit goes in titles)."""
        value = "datum.value"
        if self.scale != 1:
            value = f"datum.value * {float(self.scale)!r}"
        number = f"format({value}, '{',' if self.thousands else ''}~f')"
        parts = [json.dumps(self.prefix, ensure_ascii=False)] if self.prefix else []
        parts.append(number)
        if self.suffix:
            parts.append(json.dumps(self.suffix, ensure_ascii=False))
        return " + ".join(parts)


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return Decimal("NaN")
        return Decimal(repr(value))
    return None


def _plain_text(value: Any) -> str:
    if value is None:
        return NULL_TEXT
    if value is True or value is False:
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _decimals(places: int, unit: str = "", suffix: str = "", scale: str = "1") -> NumberFormat:
    return NumberFormat(
        scale=Decimal(scale),
        min_decimals=places,
        max_decimals=places,
        unit=unit,
        suffix=suffix,
    )


NAMED_FORMATS: dict[str, NumberFormat] = {
    "tco2": _decimals(0, unit="t CO2"),
    "wan_tco2": _decimals(1, unit="万吨", scale="0.0001"),
    "万吨": _decimals(1, unit="万吨", scale="0.0001"),
    "yi_yuan": _decimals(2, unit="亿元"),
    "亿元": _decimals(2, unit="亿元"),
    "tce": _decimals(0, unit="tce"),
    "wan_tce": _decimals(1, unit="万吨标准煤", scale="0.0001"),
    "万吨标准煤": _decimals(1, unit="万吨标准煤", scale="0.0001"),
    "pct": _decimals(1, suffix="%"),
    **{f"pct{places}": _decimals(places, suffix="%") for places in range(4)},
    **{f"num{places}": _decimals(places) for places in range(5)},
}

# Used when no fmt is given: integers as they are, other numbers with up to two decimals.
DEFAULT_NUMBER_FORMAT = NumberFormat(min_decimals=0, max_decimals=2)
PLAIN_INTEGER_FORMAT = NumberFormat(thousands=False)


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted, position = [], [], False, 0
    while position < len(pattern):
        character = pattern[position]
        if character == "\\" and position + 1 < len(pattern):
            current.append(pattern[position : position + 2])
            position += 2
            continue
        if character == '"':
            quoted = not quoted
        if character == ";" and not quoted:
            sections.append("".join(current))
            current = []
        else:
            current.append(character)
        position += 1
    if quoted:
        raise ValueError(f"unterminated quote in format {pattern!r}")
    sections.append("".join(current))
    return sections


_EXCEL_LITERAL = re.compile(r'"([^"]*)"|\\(.)|([^0#?,.%"\\])')


def _parse_excel_section(section: str, pattern: str, *, first: bool) -> NumberFormat:
    # Split the section into: literal prefix, the digit pattern, literal suffix.
    digits_start = next((i for i, c in enumerate(section) if c in "0#?"), None)
    if digits_start is None:
        if first:
            raise ValueError(f"unknown fmt {pattern!r}")
        return NumberFormat(
            constant="".join(
                m.group(1) or m.group(2) or m.group(3) or ""
                for m in _EXCEL_LITERAL.finditer(section)
            )
        )
    # Backtrack over a leading "." (".00") that belongs to the digit pattern.
    while digits_start > 0 and section[digits_start - 1] in ".,":
        digits_start -= 1
    digits_end = digits_start
    while digits_end < len(section) and section[digits_end] in "0#?,.":
        digits_end += 1
    head, digits, tail = (
        section[:digits_start],
        section[digits_start:digits_end],
        section[digits_end:],
    )
    if digits.count(".") > 1:
        raise ValueError(f"more than one decimal point in format {pattern!r}")

    def literal(text: str) -> tuple[str, int]:
        out, percents, position = [], 0, 0
        while position < len(text):
            match = _EXCEL_LITERAL.match(text, position)
            if match is None:  # a stray digit placeholder or separator outside the pattern
                if text[position] == "%":
                    percents += 1
                    out.append("%")
                    position += 1
                    continue
                raise ValueError(f"unsupported format {pattern!r}")
            out.append(next(group for group in match.groups() if group is not None))
            position = match.end()
        return "".join(out), percents

    prefix, prefix_percents = literal(head)
    suffix, suffix_percents = literal(tail)
    integer_part, _, fraction = digits.partition(".")
    trailing_commas = len(integer_part) - len(integer_part.rstrip(","))
    integer_part = integer_part.rstrip(",")
    scale = Decimal(1000) ** -trailing_commas * Decimal(100) ** (prefix_percents + suffix_percents)
    unit = ""
    stripped = suffix.strip()
    if suffix.startswith(" ") and stripped:
        unit, suffix = stripped, ""
    return NumberFormat(
        scale=scale,
        min_decimals=fraction.count("0"),
        max_decimals=len(fraction.replace(",", "")),
        thousands="," in integer_part,
        prefix=prefix,
        suffix=suffix,
        unit=unit,
    )


@lru_cache(maxsize=256)
def parse_format(fmt: str) -> NumberFormat:
    """The NumberFormat for a named format (`万吨`, `pct1` …) or an Excel pattern (`#,##0.0`)."""
    name = fmt.strip()
    if name in NAMED_FORMATS:
        return NAMED_FORMATS[name]
    if not any(character in name for character in "0#"):
        known = ", ".join(NAMED_FORMATS)
        raise ValueError(f"unknown fmt {fmt!r} (known: {known}, or an Excel pattern like #,##0.0)")
    sections = [
        _parse_excel_section(section, fmt, first=index == 0)
        for index, section in enumerate(_split_sections(name))
    ]
    if len(sections) > 3:
        raise ValueError(f"at most three sections in format {fmt!r}")
    result = sections[0]
    if len(sections) >= 2:
        result = replace(result, negative=sections[1])
    if len(sections) == 3:
        result = replace(result, zero=sections[2])
    return result


def is_valid_format(fmt: str) -> bool:
    """Whether `fmt` names a known format or is a valid Excel-style pattern."""
    try:
        parse_format(fmt)
    except ValueError:
        return False
    return True


def default_format_for(column: str, value: Any) -> NumberFormat:
    """The format used without `fmt`: years and codes plain, other numbers with separators."""
    lowered = column.lower()
    if isinstance(value, int) and (
        lowered in ("year", "年", "年份") or lowered.endswith(("_year", "_code", "_id"))
    ):
        return PLAIN_INTEGER_FORMAT
    return DEFAULT_NUMBER_FORMAT


def interpolation_text(value: Any) -> str:
    """How `{expression}` prints a value in text, as Evidence does: numbers as they are."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return NULL_TEXT if math.isnan(value) else format(value, ".15g")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return _plain_text(value)


def format_value(value: Any, fmt: str | None = None, column: str = "") -> str:
    """Format one value for display: with `fmt` if given, else a sensible default."""
    if fmt:
        return parse_format(fmt).format(value)
    if _to_decimal(value) is None:
        return _plain_text(value)
    return default_format_for(column, value).format(value)
