"""Unified social credit codes: the GB 32100 / GB 11714 check characters."""

from __future__ import annotations

import pytest

from ingest.uscc import (
    USCC_ALPHABET,
    is_valid_organisation_code,
    is_valid_uscc,
    make_uscc,
    organisation_code_check,
    uscc_check,
)

# A code widely cited as a valid example (Fuzhou, 350100); its organisation code M000100Y4.
KNOWN_VALID = "91350100M000100Y43"


def test_known_real_world_example_is_valid():
    assert is_valid_uscc(KNOWN_VALID)
    assert organisation_code_check("M000100Y") == "4"
    assert uscc_check(KNOWN_VALID[:17]) == "3"


def test_hand_computed_check_characters():
    # Organisation body 12345678: 1*3+2*7+3*9+4*10+5*5+6*8+7*4+8*2 = 201; 201 mod 11 = 3;
    # 11 - 3 = 8.
    assert organisation_code_check("12345678") == "8"
    # Weights 3^i mod 31: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
    first_17 = "91140105123456788"
    values = [USCC_ALPHABET.index(c) for c in first_17]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    expected = USCC_ALPHABET[
        (31 - sum(v * w for v, w in zip(values, weights, strict=True)) % 31) % 31
    ]
    assert uscc_check(first_17) == expected
    assert make_uscc("140105", "12345678") == first_17 + expected


@pytest.mark.parametrize("body", ["12345678", "MA0QPQ1N", "00000000", "MAY1AT75"])
def test_made_codes_are_valid_and_carry_the_division(body):
    code = make_uscc("141181", body)
    assert len(code) == 18
    assert code[2:8] == "141181"
    assert is_valid_uscc(code)
    assert is_valid_organisation_code(code[8:17])


def test_a_wrong_check_character_is_rejected():
    for position in (17, 16):  # the final check, and the organisation code's own check
        for replacement in "0123456789X":
            wrong = KNOWN_VALID[:position] + replacement + KNOWN_VALID[position + 1 :]
            if wrong != KNOWN_VALID:
                assert not is_valid_uscc(wrong), wrong


@pytest.mark.parametrize(
    "code",
    [
        "",
        None,
        91350100,
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y430",  # 19 characters
        "91350100M000I00Y43",  # I is not in the alphabet
        "91350100m000100Y43",  # lower case
        "9135010AM000100Y43",  # division code not digits
    ],
)
def test_malformed_codes_are_rejected(code):
    assert not is_valid_uscc(code)


def test_organisation_check_can_be_skipped():
    first_17 = "91350100M000100Y5"  # organisation check 5 instead of 4
    code = first_17 + uscc_check(first_17)
    assert not is_valid_uscc(code)
    assert is_valid_uscc(code, check_organisation_code=False)
