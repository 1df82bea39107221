"""Unified social credit codes (统一社会信用代码, GB 32100-2015): build and validate.

An 18-character code is laid out as

    position 1      registration authority code (登记管理部门代码), e.g. ``9`` 工商
    position 2      entity category code (机构类别代码), e.g. ``1`` 企业
    positions 3-8   administrative division code of the registering authority (GB/T 2260)
    positions 9-17  organisation code (组织机构代码, GB 11714-1997): 8 characters and
                    their own check character (``0``-``9`` or ``X``)
    position 18     check character over positions 1-17, modulo 31

The check character of position 18 uses the 31-character alphabet
``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z), character values 0..30 and
weights 3^(i-1) mod 31 for positions i = 1..17; check = 31 - (sum mod 31), with 31
written as ``0``. The organisation code's check character uses weights
3, 7, 9, 10, 5, 8, 4, 2 over character values (digits 0-9, letters A-Z = 10-35);
check = 11 - (sum mod 11), with 10 written ``X`` and 11 written ``0``.
"""

from __future__ import annotations

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, position, 31) for position in range(17))
ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_USCC_VALUE = {character: value for value, character in enumerate(USCC_ALPHABET)}


def _organisation_character_value(character: str) -> int:
    if character.isdigit():
        return int(character)
    if "A" <= character <= "Z":
        return ord(character) - ord("A") + 10
    raise ValueError(f"{character!r} is not a digit or an upper-case Latin letter")


def organisation_code_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    if len(body) != 8:
        raise ValueError(f"an organisation code body has 8 characters, got {body!r}")
    total = sum(
        _organisation_character_value(character) * weight
        for character, weight in zip(body, ORGANISATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check(first_17: str) -> str:
    """The GB 32100 check character (position 18) of the first 17 characters."""
    if len(first_17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first_17)}")
    try:
        total = sum(
            _USCC_VALUE[character] * weight
            for character, weight in zip(first_17, USCC_WEIGHTS, strict=True)
        )
    except KeyError as error:
        raise ValueError(f"{error.args[0]!r} is not in the USCC alphabet") from None
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_organisation_code(code: str) -> bool:
    """True if ``code`` is 9 characters whose last is the GB 11714 check of the first 8."""
    if not isinstance(code, str) or len(code) != 9:
        return False
    try:
        return organisation_code_check(code[:8]) == code[8]
    except ValueError:
        return False


def is_valid_uscc(code: object, *, check_organisation_code: bool = True) -> bool:
    """True if ``code`` is a well-formed 18-character USCC with a correct check character.

    Checks the alphabet, that positions 3-8 are digits (a division code), the final
    check character (GB 32100-2015) and, unless ``check_organisation_code`` is false,
    the organisation code's own check character (GB 11714-1997).
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    if any(character not in _USCC_VALUE for character in code):
        return False
    if not code[2:8].isdigit():
        return False
    if check_organisation_code and not is_valid_organisation_code(code[8:17]):
        return False
    return uscc_check(code[:17]) == code[17]


def make_uscc(
    division_code: str,
    organisation_body: str,
    *,
    registration_authority: str = "9",
    entity_category: str = "1",
) -> str:
    """Build a valid USCC from a 6-digit division code and an 8-character organisation body.

    ``organisation_body`` must use the USCC alphabet (e.g. eight digits, or ``MA`` and six
    characters as issued since 2015); both check characters are computed here.
    """
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError(f"division code must be 6 digits, got {division_code!r}")
    if len(organisation_body) != 8 or any(c not in _USCC_VALUE for c in organisation_body):
        raise ValueError(f"organisation body must be 8 USCC characters, got {organisation_body!r}")
    organisation_code = organisation_body + organisation_code_check(organisation_body)
    first_17 = registration_authority + entity_category + division_code + organisation_code
    return first_17 + uscc_check(first_17)
