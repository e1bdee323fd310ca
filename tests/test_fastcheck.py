"""Issue 23, item 6: the compiled schema check says "valid" exactly when jsonschema does.

``pipeline.published.fastcheck`` answers validate's common case (a valid file) about ten times faster; whatever
it does not accept goes to jsonschema for the messages. Here every leaf of valid entries is broken in
turn (wrong type, negative, empty, a float, a bool, removed, an extra key) and both must agree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.published import schemas
from tests.conftest import movie_entry, tv_entry
from tests.test_validate import OUTPUTS, OVERRIDES, movie, show

LETTERBOXD = {"slug": "a", "lid": None, "uid": None}
REPLACEMENTS: list[Any] = [None, -1, 0, 1, 1.0, 1.5, True, "", "x", "tt1", [], {}, [1], {"x": 1}]


def variants(value: Any) -> Iterator[Any]:
    """``value`` itself, then a copy of it with one leaf replaced, removed or given a neighbour, each in turn."""
    yield value
    if isinstance(value, dict):
        for key in value:
            for inner in variants(value[key]):
                yield {**value, key: inner}
            yield {name: item for name, item in value.items() if name != key}
        yield {**value, "unexpected": 1}
    elif isinstance(value, list):
        for position, item in enumerate(value):
            for inner in variants(item):
                yield [*value[:position], inner, *value[position + 1 :]]
    else:
        yield from REPLACEMENTS


def with_letterboxd(entry: dict[str, Any]) -> dict[str, Any]:
    """A published film with Letterboxd ids, in both copies of ``externals``."""
    entry = copy.deepcopy(entry)
    for externals in (entry["trakt"]["externals"], entry["externals"]):
        externals["letterboxd"] = LETTERBOXD
    return entry


CASES: list[tuple[str, str, Any]] = [
    ("tv_ex.json", "", OUTPUTS["tv_ex.json"]),
    ("tv_ex.json", "", [show(2, episodes={"season": 1, "offset": 12}, is_split_cour=True, season=None)]),
    ("movies_ex.json", "", [with_letterboxd(movie(5))]),
    ("not_exist_tv_ex.json", "", OUTPUTS["not_exist_tv_ex.json"]),
    ("override_tv.json", "", OVERRIDES["override_tv.json"]),
    ("override_movies.json", "", OVERRIDES["override_movies.json"]),
    ("upstream-tv.schema.json", "/$defs/entry", tv_entry(1, 10)),
    ("upstream-movies.schema.json", "/$defs/entry", movie_entry(2, 20)),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "pointer", "valid"), CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_the_quick_check_accepts_exactly_what_jsonschema_accepts(schema: str, pointer: str, valid: Any) -> None:
    quick = schemas.quick_check(schema, pointer)
    assert quick is not None, f"{schema} no longer compiles: validate is back to jsonschema's speed"
    full = schemas.validator(schema, pointer)
    disagreements = []
    checked = 0
    for instance in variants(copy.deepcopy(valid)):
        checked += 1
        if quick(instance) != full.is_valid(instance):
            disagreements.append(instance)
    assert full.is_valid(valid) and checked > 30
    assert disagreements == []


def test_a_schema_with_an_unknown_keyword_is_left_to_jsonschema() -> None:
    """No guessing: a keyword the compiler does not know (here ``maximum``) means no quick check at all."""
    from pipeline.published.fastcheck import compile_schema

    assert compile_schema({"type": "integer", "maximum": 3}, None) is None
    assert compile_schema({"type": "integer", "minimum": 0}, None) is not None


ARRAYS = {
    "type": "array",
    "prefixItems": [{"type": "integer", "minimum": 1}, {"type": ["integer", "null"], "minimum": 1}],
    "items": {"type": "string"},
    "minItems": 2,
    "maxItems": 3,
    "uniqueItems": True,
}


def test_array_keywords_agree_with_jsonschema() -> None:
    """prefixItems (``items`` then checks the rest), maxItems and uniqueItems, as the episode map uses them."""
    from jsonschema import Draft202012Validator

    from pipeline.published.fastcheck import compile_schema

    quick = compile_schema(ARRAYS, None)
    assert quick is not None
    full = Draft202012Validator(ARRAYS)
    for instance in [[1, 2], [1, None], [1, None, "x"], [1, 2, 3], [0, 2], [1], [1, 2, "x", "y"], [1, 1], [1.0, 1],
                     [1, True], [True, 2], "not a list", [2, None, None]]:  # fmt: skip
        for variant in variants(instance):
            assert quick(variant) == full.is_valid(variant), variant
