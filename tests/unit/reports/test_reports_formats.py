"""Number formats of the `fmt` prop: named units, Excel patterns, rounding and axis labels."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports.formats import format_value, interpolation_text, is_valid_format, parse_format


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (564_862_000.0, "wan_tco2", "56,486.2 万吨"),
        (564_862_000.0, "万吨", "56,486.2 万吨"),
        (1_234_567.4, "tco2", "1,234,567 t CO2"),
        (25_698.183, "yi_yuan", "25,698.18 亿元"),
        (25_698.183, "亿元", "25,698.18 亿元"),
        (59.06, "pct", "59.1%"),
        (59.06, "pct0", "59%"),
        (59.06, "pct1", "59.1%"),
        (59.06, "pct2", "59.06%"),
        (1234.5, "num0", "1,235"),
        (1234.56, "num1", "1,234.6"),
        (1234.5, "num2", "1,234.50"),
        (123_456_789, "wan_tce", "12,345.7 万吨标准煤"),
        (Decimal("2.675"), "num2", "2.68"),
        (-1234.56, "num1", "-1,234.6"),
    ],
)
def test_named_formats(value, fmt, expected):
    assert format_value(value, fmt) == expected


def test_rounding_is_half_up_on_the_decimal_value_not_the_binary_float():
    # 2.675 is 2.67499999… as a binary float; Python's own format would print 2.67.
    assert f"{2.675:.2f}" == "2.67"
    assert format_value(2.675, "num2") == "2.68"
    assert format_value(0.125, "num2") == "0.13"
    assert format_value(0.5, "num0") == "1"


def test_negative_zero_is_printed_as_zero():
    assert format_value(-0.04, "num1") == "0.0"


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (1_234_567.891, "#,##0.0", "1,234,567.9"),
        (1_234_567.891, "0.00", "1234567.89"),
        (0.591, "0.0%", "59.1%"),
        (1_234_567, "#,##0,", "1,235"),
        (3.1, "0.##", "3.1"),
        (3, "0.##", "3"),
        (5.5, '"¥"#,##0.00', "¥5.50"),
        (56_486.21, '#,##0.0 "万吨"', "56,486.2 万吨"),
        (-5, "0.0;(0.0)", "(5.0)"),
        (0, '0.0;(0.0);"零"', "零"),
    ],
)
def test_excel_style_patterns(value, fmt, expected):
    assert format_value(value, fmt) == expected


def test_missing_values_and_non_numbers():
    assert format_value(None, "万吨") == "–"
    assert format_value(float("nan"), "num1") == "–"
    assert format_value("太原市", "num1") == "太原市"
    assert format_value(date(2024, 3, 1)) == "2024-03-01"
    assert format_value(True) == "是"


def test_defaults_without_fmt_keep_years_and_codes_plain():
    assert format_value(2023, None, "year") == "2023"
    assert format_value(140100, None, "division_code") == "140100"
    assert format_value(1234567, None, "total_tco2") == "1,234,567"
    assert format_value(1234.5678, None, "x") == "1,234.57"
    assert format_value(1234.5, None, "x") == "1,234.5"


def test_interpolated_values_print_numbers_as_they_are():
    assert interpolation_text(2023) == "2023"
    assert interpolation_text(0.1 + 0.2) == "0.3"
    assert interpolation_text(None) == ""


@pytest.mark.parametrize("fmt", ["bogus", "usd", "", "%%", '"unterminated'])
def test_unknown_formats_are_refused(fmt):
    assert not is_valid_format(fmt)
    with pytest.raises(ValueError):
        parse_format(fmt)


def test_axis_label_expressions_scale_like_the_text():
    assert parse_format("万吨").vega_label_expression() == "format(datum.value * 0.0001, ',~f')"
    assert parse_format("万吨").unit == "万吨"
    assert parse_format("pct").vega_label_expression() == "format(datum.value, ',~f') + \"%\""
    assert parse_format("0.0%").vega_label_expression().startswith("format(datum.value * 100.0")
