"""Decisions kept from one run to the next, period by period.

A period's decision (which cells are hidden, and why) is a function of the period alone: its
cells, their true values, the primary rule's verdicts, the cells never hidden, the published
equations and identities, the thresholds, and the engine. ``period_digest`` hashes exactly
these; a period whose digest is the one stored with the last decision keeps that decision
instead of being solved again. A daily table then costs the new and the revised days only: the
next morning's file adds a period, a revised file for a past day changes that day's digest and
nothing else's. Anything that could change a decision changes the digest (the thresholds, a
margin, a value in the last bit, a new cell, ``ENGINE_VERSION``), so a kept decision is the one
the engine would make again.
"""

from __future__ import annotations

import hashlib

import numpy as np

from disclosure.engine import Period
from disclosure.rules import DisclosureRules

# Bump when the engine could decide a period differently from the same inputs: every stored
# decision is then made again.
ENGINE_VERSION = "2026.12.1"
DIGEST_COLUMN = "period_digest"


def _array(digest, array: np.ndarray | None) -> None:
    if array is None:
        digest.update(b"none")
        return
    array = np.ascontiguousarray(array)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())


def rules_text(rules: DisclosureRules) -> str:
    """The thresholds, as a stable text."""
    return repr(sorted(vars(rules).items()))


def keys_digest(keys: list[tuple]) -> str:
    """SHA-256 of a period's cell keys in their order (periods often share one key list)."""
    return hashlib.sha256(repr(list(keys)).encode()).hexdigest()


def period_digest(period: Period, rules: DisclosureRules, keys: str | None = None) -> str:
    """SHA-256 of everything the engine's decision of ``period`` depends on; ``keys``: the
    period's ``keys_digest`` when already known."""
    digest = hashlib.sha256()
    digest.update(ENGINE_VERSION.encode())
    digest.update(rules_text(rules).encode())
    digest.update(repr((period.label, tuple(period.value_columns))).encode())
    digest.update((keys or keys_digest(period.keys)).encode())
    digest.update(repr(list(period.primary)).encode())
    _array(digest, np.asarray(period.values, dtype=float))
    _array(digest, np.asarray(period.present, dtype=bool))
    _array(digest, np.asarray(period.fixed, dtype=bool))
    for equation in period.equations:
        digest.update(equation.name.encode())
        _array(digest, np.asarray(equation.members))
        _array(digest, np.asarray(equation.coefficients, dtype=float))
        _array(digest, np.asarray(equation.rhs, dtype=float))
        _array(digest, None if equation.columns is None else np.asarray(equation.columns))
    for relation in period.relations:
        digest.update(relation.sense.encode())
        _array(digest, np.asarray(relation.columns))
        _array(digest, np.asarray(relation.coefficients, dtype=float))
        _array(digest, None if relation.cells is None else np.asarray(relation.cells))
    return digest.hexdigest()
