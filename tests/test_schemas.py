"""The schema files, the local registry, and the one-line messages made from jsonschema errors."""

from __future__ import annotations

import copy
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from pipeline.config import SCHEMAS_DIR
from pipeline.published import schemas

FIXTURES = Path(__file__).parent.parent / "pipeline" / "demo" / "data" / "upstream"


def with_copies(myanimelist: dict[str, Any], trakt: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A published entry whose top-level copies are made from ``trakt`` *before* ``changes`` apply to it.

    The schemas do not compare the two copies (pipeline.validate does), so a change to ``trakt`` gives
    one message, about ``trakt``.
    """
    entry = {"myanimelist": myanimelist, "trakt": {**trakt, **changes}}
    year = 0 if trakt["release_year"] is None else trakt["release_year"]  # the predecessor's convention
    return {**entry, "release_year": year, "externals": dict(trakt["externals"]), "origin": "upstream"}


def show(mal_id: int = 1, **trakt: Any) -> dict[str, Any]:
    return with_copies(
        {"title": "Cowboy Bebop", "id": mal_id},
        {
            "title": "Cowboy Bebop",
            "id": 30857,
            "slug": "cowboy-bebop",
            "type": "shows",
            "is_split_cour": False,
            "release_year": 1998,
            "season": {"id": 3583, "number": 1, "externals": {"tvdb": 76885, "tmdb": 3582, "tvrage": None}},
            "episodes": {"season": 1, "offset": 0},
            "episode_map": [{"mal": [1, None], "season": 1, "episode": 1}],
            "externals": {
                "tvdb": 76885,
                "tmdb": 30991,
                "imdb": "tt0213338",
                "tvrage": None,
                "anidb": [23],
                "anilist": [1],
            },
        },
        trakt,
    )


def movie(mal_id: int = 5, **trakt: Any) -> dict[str, Any]:
    return with_copies(
        {"title": "Cowboy Bebop: Tengoku no Tobira", "id": mal_id},
        {
            "title": "Cowboy Bebop: The Movie",
            "id": 6398,
            "slug": "cowboy-bebop-the-movie",
            "type": "movies",
            "release_year": 2001,
            "externals": {"tmdb": 11299, "imdb": None, "letterboxd": None, "anidb": None, "anilist": None},
        },
        trakt,
    )


def override(mal_id: int = 1, **trakt: Any) -> dict[str, Any]:
    target = {"title": "Cowboy Bebop", "id": 30857, "type": "shows", "season": {"number": 1}}
    target.update(trakt)
    return {"myanimelist": {"title": "Cowboy Bebop", "id": mal_id}, "trakt": target}


META = {
    "schema_version": 1,
    "last_changed": "2025-01-31T02:03:04Z",
    "files": {
        "tv_ex.json": {"entries": 2},
        "movies_ex.json": {"entries": 1},
        "not_exist_tv_ex.json": {"entries": 0},
        "not_exist_movies_ex.json": {"entries": 1},
    },
    "upstream": {
        "tv.json": {"sha256": "0" * 64, "entries": 2},
        "movies.json": {"sha256": "ab" * 32, "entries": 2},
    },
}


def test_schema_files_are_valid_and_every_ref_resolves_locally() -> None:
    """Every schema passes the draft 2020-12 meta-schema, has $id/title/description, and no $ref dangles."""
    assert schemas.check_schemas() == []


def test_every_described_file_has_its_schema() -> None:
    """SCHEMA_FOR names a schema file for each file the project reads or publishes."""
    schema_dir = SCHEMAS_DIR
    assert set(schemas.SCHEMA_FOR) == {
        "tv_ex.json",
        "movies_ex.json",
        "not_exist_tv_ex.json",
        "not_exist_movies_ex.json",
        "override_tv.json",
        "override_movies.json",
        "meta.json",
        "tv.json",
        "movies.json",
    }
    assert all((schema_dir / name).is_file() for name in schemas.SCHEMA_FOR.values())


@pytest.fixture
def fresh_schemas(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Reload the registry (from a patched SCHEMAS_DIR, or with the network cut) and forget it afterwards."""
    schemas._loaded.cache_clear()
    schemas.validator.cache_clear()
    yield monkeypatch
    schemas._loaded.cache_clear()
    schemas.validator.cache_clear()


def test_refs_are_resolved_without_the_network(fresh_schemas: pytest.MonkeyPatch) -> None:
    """Building validators and checking data that goes through cross-file $refs opens no socket."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a schema $ref tried to reach the network")

    fresh_schemas.setattr(socket, "socket", no_network)
    fresh_schemas.setattr(socket, "create_connection", no_network)
    assert schemas.problems([show()], "tv_ex.json", where="t") == []
    assert schemas.problems([{"mal_id": 0, "title": "x"}], "not_exist_tv_ex.json", where="n") == [
        "n: $[0].mal_id: 0 is less than the minimum of 1"
    ]


def test_check_schemas_reports_a_ref_outside_schemas_dir(fresh_schemas: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A $ref to a schema that is not in schemas/ is a problem, never a download."""
    broken = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.org/schemas/broken.schema.json",
        "title": "Broken",
        "type": "array",
        "items": {"$ref": "https://example.org/elsewhere.json"},
    }
    (tmp_path / "broken.schema.json").write_text(json.dumps(broken), encoding="utf-8")
    fresh_schemas.setattr(schemas, "SCHEMAS_DIR", tmp_path)
    found = schemas.check_schemas()
    assert "schemas/broken.schema.json: has no description" in found
    assert (
        "schemas/broken.schema.json: $ref 'https://example.org/elsewhere.json' does not resolve to a schema in schemas/"
        in found
    )


@pytest.mark.parametrize("name", ["tv.json", "movies.json"])
def test_real_upstream_lists_match_their_schemas(name: str) -> None:
    """The recorded upstream lists pass, as a whole and entry by entry (two movies have no guessed slug)."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert schemas.problems(data, name, where=f"upstream {name}") == []
    assert [p for entry in data for p in schemas.problems(entry, name, where=name, pointer="/$defs/entry")] == []
    if name == "movies.json":
        assert sum(entry["guessed_slug"] is None for entry in data) == 2


def test_upstream_entry_may_carry_fields_we_do_not_use() -> None:
    """Upstream may add fields; entries are not closed."""
    entry = {"title": "x", "mal_id": 1, "trakt_id": 2, "guessed_slug": None, "type": "shows", "season": 0, "new": 1}
    assert schemas.problems(entry, "upstream-tv.schema.json", where="upstream tv.json", pointer="/$defs/entry") == []


TV_ENTRY = {"title": "x", "mal_id": 1, "trakt_id": 2, "guessed_slug": "x", "type": "shows", "season": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mal_id": 0}, "upstream tv.json: $.mal_id: 0 is less than the minimum of 1"),
        ({"trakt_id": "2"}, "upstream tv.json: $.trakt_id: '2' is not of type 'integer'"),
        ({"guessed_slug": 1}, "upstream tv.json: $.guessed_slug: 1 is not of type 'string', 'null'"),
        ({"type": "movies"}, "upstream tv.json: $.type: expected 'shows', got 'movies'"),
        ({"season": -1}, "upstream tv.json: $.season: -1 is less than the minimum of 0"),
        ({"season": None}, "upstream tv.json: $.season: None is not of type 'integer'"),
        ({"title": None}, "upstream tv.json: $.title: None is not of type 'string'"),
    ],
)
def test_bad_upstream_entry_is_named_by_field(change: dict[str, Any], message: str) -> None:
    """One upstream entry checked alone against $defs/entry gives a path relative to the entry."""
    entry = {**TV_ENTRY, **change}
    assert schemas.problems(entry, "tv.json", where="upstream tv.json", pointer="/$defs/entry") == [message]


def test_upstream_entry_without_season_is_rejected() -> None:
    entry = {key: value for key, value in TV_ENTRY.items() if key != "season"}
    assert schemas.problems(entry, "tv.json", where="upstream tv.json", pointer="/$defs/entry") == [
        "upstream tv.json: $: 'season' is a required property"
    ]


def test_empty_upstream_list_is_rejected() -> None:
    assert schemas.problems([], "movies.json", where="upstream movies.json") == [
        "upstream movies.json: $: [] should be non-empty"
    ]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ([], "$"),
        ([3, "trakt", "season", "number"], "$[3].trakt.season.number"),
        (["files", "tv_ex.json", "entries"], '$.files["tv_ex.json"].entries'),
        ([0, "$ref"], '$[0]["$ref"]'),
    ],
)
def test_json_path_spells_positions_and_keys(path: list[object], text: str) -> None:
    assert schemas.json_path(path) == text


def test_validate_names_file_entry_and_field() -> None:
    """The message names the file label, the JSON path of the field, and what is wrong."""
    data = [override(1), override(2), override(3), override(4, season={"number": "two"})]
    assert schemas.problems(data, "override_tv.json", where="overrides/override_tv.json") == [
        "overrides/override_tv.json: $[3].trakt.season.number: 'two' is not of type 'integer'"
    ]


def test_messages_are_sorted_by_entry_position_numerically() -> None:
    data = [show(mal_id) for mal_id in range(1, 13)]
    data[10]["myanimelist"]["id"] = 0
    data[2]["trakt"]["slug"] = None
    assert schemas.problems(data, "tv_ex.json", where="t") == [
        "t: $[2].trakt.slug: None is not of type 'string'",
        "t: $[10].myanimelist.id: 0 is less than the minimum of 1",
    ]


@pytest.mark.parametrize(
    ("trakt", "messages"),
    [
        ({"season": None, "is_split_cour": True}, []),
        (
            {"season": {"id": "x", "number": 1, "externals": {"tvdb": None, "tmdb": None, "tvrage": None}}},
            ["tv: $[0].trakt.season.id: 'x' is not of type 'integer'"],
        ),
        (
            {"season": {"id": 1, "number": 1, "externals": {"tvdb": 0, "tmdb": "7", "tvrage": None}}},
            [
                "tv: $[0].trakt.season.externals.tmdb: '7' is not of type 'integer', 'null'",
                "tv: $[0].trakt.season.externals.tvdb: 0 is less than the minimum of 1",
            ],
        ),
        (
            {"season": {}},
            [
                "tv: $[0].trakt.season: 'externals' is a required property",
                "tv: $[0].trakt.season: 'id' is a required property",
                "tv: $[0].trakt.season: 'number' is a required property",
            ],
        ),
        ({"season": "x"}, ["tv: $[0].trakt.season: 'x' is not of type 'object', 'null'"]),
        ({"season": 2}, ["tv: $[0].trakt.season: 2 is not of type 'object', 'null'"]),
    ],
)
def test_nullable_season_errors_name_the_deepest_field(trakt: dict[str, Any], messages: list[str]) -> None:
    """For null-or-season (anyOf), the message comes from the alternative that got furthest."""
    assert schemas.problems([show(**trakt)], "tv_ex.json", where="tv") == messages


@pytest.mark.parametrize(
    ("schema", "entry", "message"),
    [
        ("tv_ex.json", show(type="movies"), "tv: $[0].trakt.type: expected 'shows', got 'movies'"),
        ("movies_ex.json", movie(type="shows"), "tv: $[0].trakt.type: expected 'movies', got 'shows'"),
        ("tv_ex.json", show(extra=1), "tv: $[0].trakt: Additional properties are not allowed ('extra' was unexpected)"),
        ("tv_ex.json", show(is_split_cour="no"), "tv: $[0].trakt.is_split_cour: 'no' is not of type 'boolean'"),
        (
            "tv_ex.json",
            show(release_year="1998"),
            "tv: $[0].trakt.release_year: '1998' is not of type 'integer', 'null'",
        ),
        (
            "movies_ex.json",
            movie(externals={"tmdb": None, "imdb": "", "letterboxd": None, "anidb": None, "anilist": None}),
            "tv: $[0].trakt.externals.imdb: '' should be non-empty",
        ),
        (
            "movies_ex.json",
            movie(
                externals={"tmdb": None, "imdb": None, "letterboxd": None, "anidb": None, "anilist": None, "tvdb": 1}
            ),
            "tv: $[0].trakt.externals: Additional properties are not allowed ('tvdb' was unexpected)",
        ),
        (
            "movies_ex.json",
            movie(release_year=None, season=None),
            "tv: $[0].trakt: Additional properties are not allowed ('season' was unexpected)",
        ),
    ],
)
def test_published_format_is_exact(schema: str, entry: dict[str, Any], message: str) -> None:
    assert schemas.problems([entry], schema, where="tv") == [message]


def test_published_entry_without_externals_is_rejected() -> None:
    entry = show()
    del entry["trakt"]["externals"]
    assert schemas.problems([entry], "tv_ex.json", where="tv") == ["tv: $[0].trakt: 'externals' is a required property"]


@pytest.mark.parametrize(("schema", "make"), [("tv_ex.json", show), ("movies_ex.json", movie)])
@pytest.mark.parametrize("key", ["release_year", "externals"])
def test_published_entry_without_a_top_level_copy_is_rejected(schema: str, make: Any, key: str) -> None:
    """Both layouts are required: the predecessor's consumers read release_year and externals at the top level."""
    entry = make()
    del entry[key]
    assert schemas.problems([entry], schema, where="p") == [f"p: $[0]: '{key}' is a required property"]


@pytest.mark.parametrize(
    ("schema", "entry", "message"),
    [
        (
            "tv_ex.json",
            {**show(), "release_year": "1998"},
            "p: $[0].release_year: '1998' is not of type 'integer'",
        ),
        ("movies_ex.json", {**movie(), "release_year": None}, "p: $[0].release_year: None is not of type 'integer'"),
        ("movies_ex.json", {**movie(), "release_year": -1}, "p: $[0].release_year: -1 is less than the minimum of 0"),
        ("movies_ex.json", movie(release_year=0), "p: $[0].trakt.release_year: 0 is less than the minimum of 1"),
        (
            "tv_ex.json",
            {
                **show(),
                "externals": {"tvdb": 76885, "tmdb": 30991, "imdb": "tt0213338", "anidb": None, "anilist": None},
            },
            "p: $[0].externals: 'tvrage' is a required property",
        ),
        (
            "movies_ex.json",
            {**movie(), "externals": {"tmdb": 11299, "imdb": None, "anidb": None, "anilist": None}},
            "p: $[0].externals: 'letterboxd' is a required property",
        ),
        (
            "movies_ex.json",
            {
                **movie(),
                "externals": {
                    "tmdb": 11299,
                    "imdb": None,
                    "letterboxd": {"slug": "x", "lid": None},
                    "anidb": None,
                    "anilist": None,
                },
            },
            "p: $[0].externals.letterboxd: 'uid' is a required property",
        ),
        (
            "movies_ex.json",
            {
                **movie(),
                "externals": {"tmdb": "11299", "imdb": None, "letterboxd": None, "anidb": None, "anilist": None},
            },
            "p: $[0].externals.tmdb: '11299' is not of type 'integer', 'null'",
        ),
    ],
)
def test_top_level_copies_follow_the_rules_of_the_ones_inside_trakt(
    schema: str, entry: dict[str, Any], message: str
) -> None:
    """The top-level copies have the same types as trakt's, but the year: a number, 0 where trakt's is null."""
    assert schemas.problems([entry], schema, where="p") == [message]


def test_unknown_year_is_null_inside_trakt_and_0_at_the_top_level() -> None:
    """The predecessor's convention at the top level, the spec's inside trakt; Letterboxd ids of a film are valid."""
    entry = movie()
    entry["trakt"]["release_year"], entry["release_year"] = None, 0
    ids = {"slug": "cowboy-bebop-the-movie", "lid": "1Uc4", "uid": 45434}
    entry["externals"]["letterboxd"] = entry["trakt"]["externals"]["letterboxd"] = ids
    assert schemas.problems([entry], "movies_ex.json", where="p") == []


@pytest.mark.parametrize("schema", ["tv_ex.json", "movies_ex.json"])
def test_top_level_copies_are_documented_as_copies(schema: str) -> None:
    """Each top-level copy's description (in the schema file, or the definition it refers to) says it is the
    same as the one inside trakt."""
    folder = SCHEMAS_DIR
    files = {name: json.loads((folder / name).read_text()) for name in (schema.replace(".json", ".schema.json"),)}
    common = json.loads((folder / "common.schema.json").read_text())
    entry = next(iter(files.values()))["$defs"]["show" if schema == "tv_ex.json" else "movie"]
    for key in ("release_year", "externals"):
        prop = entry["properties"][key]
        target = prop.get("$ref", "")
        defined = common["$defs"][target.rsplit("/", 1)[1]] if target.startswith("common.schema.json") else {}
        described = json.dumps(prop) + json.dumps(defined)
        assert f"trakt.{key}" in described and "equal" in described, key


def test_long_values_are_shortened_in_messages() -> None:
    """A whole object quoted by jsonschema is cut, so each message stays one readable line."""
    [message] = schemas.problems({"x" * 200: 1}, "tv_ex.json", where="tv")
    assert message == f"tv: $: {{'{'x' * 75}... is not of type 'array'"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (override(type="movies"), "o: $[0].trakt.season: a movie has no season: remove it, or set type to 'shows'"),
        (
            override(season=None),
            "o: $[0].trakt: a null season is a second cour inside another season: say where with "
            '"episodes": {"season": N, "offset": K}',
        ),
        (
            {"myanimelist": {"title": "x", "id": 1}, "trakt": {"title": "x", "id": 2, "type": "shows"}},
            """o: $[0].trakt: 'season' is required when type is 'shows': add "season": {"number": N}""",
        ),
        (override(type="show"), "o: $[0].trakt.type: 'show' is not one of ['shows', 'movies']"),
        (override(title=""), "o: $[0].trakt.title: '' should be non-empty"),
        (
            override(season={"number": 1, "id": 5}),
            "o: $[0].trakt.season: Additional properties are not allowed ('id' was unexpected)",
        ),
        ({**override(), "description": 5}, "o: $[0].description: 5 is not of type 'string'"),
        ({**override(), "reason": "x"}, "o: $[0]: Additional properties are not allowed ('reason' was unexpected)"),
    ],
)
def test_override_rules(entry: dict[str, Any], message: str) -> None:
    assert schemas.problems([entry], "override.schema.json", where="o") == [message]


def test_override_for_a_movie_without_season_and_with_description_is_valid() -> None:
    entry = {**override(type="movies"), "description": "upstream maps it to the TV special"}
    del entry["trakt"]["season"]
    assert schemas.problems([entry, override(2)], "override_movies.json", where="o") == []


def test_meta_sample_is_valid() -> None:
    assert schemas.problems(META, "meta.json", where="m") == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["last_changed"], "yesterday", "m: $.last_changed: 'yesterday' is not a 'date-time'"),
        (["schema_version"], 0, "m: $.schema_version: 0 is less than the minimum of 1"),
        (
            ["upstream", "tv.json", "sha256"],
            "ABC",
            """m: $.upstream["tv.json"].sha256: 'ABC' does not match '^[0-9a-f]{64}$'""",
        ),
        (["files", "tv_ex.json", "entries"], -1, 'm: $.files["tv_ex.json"].entries: -1 is less than the minimum of 0'),
        (
            ["files", "other.json"],
            {"entries": 1},
            "m: $.files: Additional properties are not allowed ('other.json' was unexpected)",
        ),
    ],
)
def test_bad_meta_is_named_by_field(path: list[str], value: object, message: str) -> None:
    meta = copy.deepcopy(META)
    target: Any = meta
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert schemas.problems(meta, "meta.json", where="m") == [message]


def test_validators_are_cached() -> None:
    assert schemas.validator("tv_ex.json") is schemas.validator("tv_ex.json")


def test_unknown_schema_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"no schema 'tv\.schema\.json' .*choose one of: common\.schema\.json, "):
        schemas.validator("tv.schema.json")


def test_mistyped_pointer_fails_at_once() -> None:
    with pytest.raises(Unresolvable):
        schemas.validator("tv.json", "/$defs/entries")
