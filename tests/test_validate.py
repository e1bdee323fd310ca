"""pipeline.validate: schema checks plus the invariants of the published and override files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.overrides import HOW_TO_FIX, load_overrides
from pipeline.published.checks import RESTORE
from pipeline.validate import main, validate_all, validate_outputs, validate_overrides


def show(mal_id: int, *, split: bool = False, **trakt: Any) -> dict[str, Any]:
    season = (
        None if split else {"id": 3000 + mal_id, "number": 1, "externals": {"tvdb": None, "tmdb": 7, "tvrage": None}}
    )
    entry: dict[str, Any] = {
        "myanimelist": {"title": f"Show {mal_id}", "id": mal_id},
        "trakt": {
            "title": f"Show {mal_id}",
            "id": 100 + mal_id,
            "slug": f"show-{mal_id}",
            "type": "shows",
            "is_split_cour": split,
            "release_year": 2001,
            "season": season,
            "episodes": None if split else {"season": 1, "offset": 0},
            "episode_map": None,
            "externals": {"tvdb": 1, "tmdb": None, "imdb": "tt0213338", "tvrage": None, "anidb": None, "anilist": None},
        },
        "origin": "upstream",
    }
    return with_copies(entry, trakt)


YEAR_RULE = "the top-level copy must equal trakt.release_year, or be 0 where that is null"


def movie(mal_id: int, **trakt: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "myanimelist": {"title": f"Movie {mal_id}", "id": mal_id},
        "trakt": {
            "title": f"Movie {mal_id}",
            "id": 200 + mal_id,
            "slug": f"movie-{mal_id}",
            "type": "movies",
            "release_year": None,
            "externals": {"tmdb": 11299, "imdb": None, "letterboxd": None, "anidb": None, "anilist": None},
        },
        "origin": "upstream",
    }
    return with_copies(entry, trakt)


def with_copies(entry: dict[str, Any], trakt: dict[str, Any]) -> dict[str, Any]:
    """The entry with ``trakt`` changed, then its top-level copies made from its ``trakt``, as published."""
    entry["trakt"].update(trakt)
    year = entry["trakt"]["release_year"]
    return {**entry, "release_year": 0 if year is None else year, "externals": dict(entry["trakt"]["externals"])}


def missing(mal_id: int) -> dict[str, Any]:
    return {"mal_id": mal_id, "title": f"Missing {mal_id}"}


def override(mal_id: int, kind: str = "shows", **trakt: Any) -> dict[str, Any]:
    target: dict[str, Any] = {"title": f"Target {mal_id}", "id": 300 + mal_id, "type": kind}
    if kind == "shows":
        target["season"] = {"number": 1}
    target.update(trakt)
    return {"myanimelist": {"title": f"Anime {mal_id}", "id": mal_id}, "trakt": target}


OUTPUTS: dict[str, Any] = {
    "tv_ex.json": [show(1), show(6, split=True), show(30)],
    "movies_ex.json": [movie(5), movie(7)],
    "not_exist_tv_ex.json": [missing(2)],
    "not_exist_movies_ex.json": [],
}
OVERRIDES: dict[str, Any] = {
    "override_tv.json": [override(40), override(3, season={"number": 2})],
    "override_movies.json": [{**override(8, "movies"), "description": "upstream has the TV special"}],
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with valid output/ and overrides/; labels read as output/..., overrides/..."""
    monkeypatch.chdir(tmp_path)
    write("output", OUTPUTS)
    write("overrides", OVERRIDES)
    return tmp_path


def write(directory: str, files: dict[str, Any]) -> None:
    Path(directory).mkdir(exist_ok=True)
    for name, data in files.items():
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        Path(directory, name).write_text(text, encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    code = main(["--output-dir", "output", "--overrides-dir", "overrides", *extra])
    return code, capsys.readouterr().err.splitlines()


def test_valid_files_pass_with_one_summary_line(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys) == (
        0,
        ["validate: 4 output files and 2 override files valid (3 shows + 2 movies, 3 overrides)"],
    )


def test_meta_json_is_checked_when_present(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = {
        "schema_version": 1,
        "last_changed": "2025-01-31T02:03:04+00:00",
        "files": {name: {"entries": len(data)} for name, data in OUTPUTS.items()},
        "upstream": {"tv.json": {"sha256": "a" * 64, "entries": 5}, "movies.json": {"sha256": "b" * 64, "entries": 2}},
    }
    write("output", {"meta.json": meta})
    assert validate_outputs(Path("output")) == []
    write("output", {"meta.json": {**meta, "last_changed": "last night"}})
    assert run(capsys)[1][0] == "output/meta.json: $.last_changed: 'last night' is not a 'date-time'"


def test_validate_names_file_entry_and_field(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tv = [show(1), show(6), show(30, season={"id": 1, "number": "two", "externals": {}})]
    write("output", {"tv_ex.json": tv})
    code, printed = run(capsys)
    assert code == 1
    assert printed == [
        "output/tv_ex.json: $[2].trakt.season.externals: 'tmdb' is a required property",
        "output/tv_ex.json: $[2].trakt.season.externals: 'tvdb' is a required property",
        "output/tv_ex.json: $[2].trakt.season.externals: 'tvrage' is a required property",
        "output/tv_ex.json: $[2].trakt.season.number: 'two' is not of type 'integer'",
        f"validate: 4 problems; fix them before anything is published; {RESTORE}",
    ]


def test_every_problem_is_printed_before_exit_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write("output", {"movies_ex.json": [movie(7), movie(5)]})
    write("overrides", {"override_tv.json": [override(1, season={"number": "two"})]})
    code, printed = run(capsys)
    assert code == 1
    assert printed == [
        "output/movies_ex.json: $[1].myanimelist.id: MAL id 5 comes after 7 at $[0]: entries must be sorted by MAL id",
        "overrides/override_tv.json: $[0].trakt.season.number: 'two' is not of type 'integer'",
        f"validate: 2 problems; fix them before anything is published; {RESTORE}",
        HOW_TO_FIX,
    ]


def test_missing_output_file_says_run_enrich(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("output/not_exist_movies_ex.json").unlink()
    assert run(capsys) == (
        1,
        [
            "output/not_exist_movies_ex.json: file not found — run pipeline.enrich first",
            f"validate: 1 problem; fix them before anything is published; {RESTORE}",
        ],
    )


def test_output_dir_before_the_first_run_is_nothing_published_yet(tmp_path: Path) -> None:
    """Before the first nightly run there is nothing published, which is not a problem."""
    assert validate_outputs(tmp_path / "none") == []


def test_partial_output_dir_lists_every_missing_file(tmp_path: Path) -> None:
    """Once anything is published, each missing file is a problem of its own."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "tv_ex.json").write_text("[]\n")
    assert validate_outputs(tmp_path / "out") == [
        f"{tmp_path / 'out' / name}: file not found — run pipeline.enrich first"
        for name in ("movies_ex.json", "not_exist_tv_ex.json", "not_exist_movies_ex.json")
    ]


def test_invalid_json_names_line_and_column(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write("output", {"not_exist_tv_ex.json": '[\n  {"mal_id": 2, "title": "x",}\n]\n'})
    assert run(capsys) == (
        1,
        [
            "output/not_exist_tv_ex.json: not valid JSON "
            "(Expecting property name enclosed in double quotes at line 2, column 30)",
            f"validate: 1 problem; fix them before anything is published; {RESTORE}",
        ],
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"tv_ex.json": [show(1), show(6), show(6)]},
            "output/tv_ex.json: $[2].myanimelist.id: MAL id 6 is already at $[1]; "
            "each MAL id is published once per file",
        ),
        (
            {"not_exist_tv_ex.json": [missing(2), missing(2)]},
            "output/not_exist_tv_ex.json: $[1].mal_id: MAL id 2 is already at $[0]; "
            "each MAL id is published once per file",
        ),
        (
            {"tv_ex.json": [show(6), show(1), show(30)]},
            "output/tv_ex.json: $[1].myanimelist.id: MAL id 1 comes after 6 at $[0]: entries must be sorted by MAL id",
        ),
        (
            {"not_exist_movies_ex.json": [missing(9), missing(3)]},
            "output/not_exist_movies_ex.json: $[1].mal_id: MAL id 3 comes after 9 at $[0]: "
            "entries must be sorted by MAL id",
        ),
        (
            {"not_exist_tv_ex.json": [missing(2), missing(6)]},
            "output/not_exist_tv_ex.json: $[1].mal_id: MAL id 6 is also in output/tv_ex.json at $[1]; "
            "an entry is either found on Trakt or not",
        ),
        (
            {"not_exist_movies_ex.json": [missing(7)]},
            "output/not_exist_movies_ex.json: $[0].mal_id: MAL id 7 is also in output/movies_ex.json at $[1]; "
            "an entry is either found on Trakt or not",
        ),
        (
            {"tv_ex.json": [show(1, type="movies")]},
            "output/tv_ex.json: $[0].trakt.type: expected 'shows', got 'movies'",
        ),
        (
            {"movies_ex.json": [movie(5, type="shows")]},
            "output/movies_ex.json: $[0].trakt.type: expected 'movies', got 'shows'",
        ),
        (
            {"tv_ex.json": {"1": show(1)}},
            "output/tv_ex.json: $: {'1': {'myanimelist': {'title': 'Show 1', 'id': 1}, 'trakt': {'title': 'Show ... "
            "is not of type 'array'",
        ),
    ],
)
def test_output_invariants(workdir: Path, files: dict[str, Any], message: str) -> None:
    write("output", files)
    assert validate_outputs(Path("output")) == [message]


def test_split_cour_with_season_is_rejected(workdir: Path) -> None:
    write("output", {"tv_ex.json": [show(1, is_split_cour=True)]})
    assert validate_outputs(Path("output")) == [
        "output/tv_ex.json: $[0].trakt.season: must be null when trakt.is_split_cour is true"
    ]


def test_missing_season_without_split_cour_is_rejected(workdir: Path) -> None:
    write("output", {"tv_ex.json": [show(1, split=True, is_split_cour=False)]})
    assert validate_outputs(Path("output")) == [
        "output/tv_ex.json: $[0].trakt.season: is null, but only a split cour (trakt.is_split_cour true) has no season"
    ]


@pytest.mark.parametrize(
    ("files", "messages"),
    [
        (
            {"tv_ex.json": [show(1), {**show(6), "release_year": 1999}, show(30)]},
            [f"output/tv_ex.json: $[1].release_year: is 1999, trakt.release_year is 2001; {YEAR_RULE}"],
        ),
        (
            {"movies_ex.json": [movie(5), {**movie(7), "release_year": 2001}]},
            [f"output/movies_ex.json: $[1].release_year: is 2001, trakt.release_year is None; {YEAR_RULE}"],
        ),
        (
            {"movies_ex.json": [{**movie(5), "release_year": None}]},
            [
                "output/movies_ex.json: $[0].release_year: None is not of type 'integer'",
                f"output/movies_ex.json: $[0].release_year: is None, trakt.release_year is None; {YEAR_RULE}",
            ],
        ),
        (
            {
                "tv_ex.json": [
                    show(1),
                    show(6),
                    {
                        **show(30),
                        "externals": {
                            "tvdb": 2,
                            "tmdb": 7,
                            "imdb": "tt0213338",
                            "tvrage": None,
                            "anidb": None,
                            "anilist": None,
                        },
                    },
                ]
            },
            [
                "output/tv_ex.json: $[2].externals: differs from trakt.externals "
                "(tvdb: 2 here, 1 in trakt; tmdb: 7 here, None in trakt); the two copies must be equal"
            ],
        ),
        (
            {
                "tv_ex.json": [
                    {
                        **show(1),
                        "externals": {"tvdb": 1, "tmdb": None, "imdb": "tt0213338", "anidb": None, "anilist": None},
                    }
                ]
            },
            [
                "output/tv_ex.json: $[0].externals: 'tvrage' is a required property",
                "output/tv_ex.json: $[0].externals: differs from trakt.externals "
                "(tvrage: missing here, None in trakt); the two copies must be equal",
            ],
        ),
        (
            {"movies_ex.json": [{**movie(5), "release_year": 1, "externals": None}, movie(7)]},
            [
                "output/movies_ex.json: $[0].externals: None is not of type 'object'",
                f"output/movies_ex.json: $[0].release_year: is 1, trakt.release_year is None; {YEAR_RULE}",
                "output/movies_ex.json: $[0].externals: differs from trakt.externals "
                "(None here, {'tmdb': 11299, 'imdb': None, 'letterboxd': None, 'anidb': None, 'anilist': None}"
                " in trakt); the two copies must be equal",
            ],
        ),
    ],
)
def test_top_level_copy_that_differs_from_trakt_is_named(
    workdir: Path, files: dict[str, Any], messages: list[str]
) -> None:
    """Each copy that differs from the one inside trakt is one line naming file, entry and field."""
    write("output", files)
    assert validate_outputs(Path("output")) == messages


def test_differing_copies_fail_validate_with_exit_1(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file whose copies differ is not published: validate prints the line and exits 1."""
    write("output", {"tv_ex.json": [show(1), {**show(6, split=True), "release_year": None}, show(30)]})
    assert run(capsys) == (
        1,
        [
            "output/tv_ex.json: $[1].release_year: None is not of type 'integer'",
            f"output/tv_ex.json: $[1].release_year: is None, trakt.release_year is 2001; {YEAR_RULE}",
            f"validate: 2 problems; fix them before anything is published; {RESTORE}",
        ],
    )


def test_same_mal_id_in_tv_and_movies_is_allowed(workdir: Path) -> None:
    """Upstream lists some MAL ids in both lists; each output file may publish them."""
    write("output", {"tv_ex.json": [show(5)], "movies_ex.json": [movie(5)], "not_exist_movies_ex.json": [missing(1)]})
    assert validate_outputs(Path("output")) == []


def test_unsorted_file_is_reported_once(workdir: Path) -> None:
    write("output", {"not_exist_tv_ex.json": [missing(n) for n in (50, 40, 20, 10, 9)]})
    assert validate_outputs(Path("output")) == [
        "output/not_exist_tv_ex.json: $[1].mal_id: MAL id 40 comes after 50 at $[0]: "
        "entries must be sorted by MAL id (3 more places)"
    ]


@pytest.mark.parametrize(
    ("files", "messages"),
    [
        (
            {"override_tv.json": '[\n  {"myanimelist": {"title": "x", "id": 1}\n]'},
            [
                "overrides/override_tv.json: not valid JSON (Expecting ',' delimiter at line 3, column 1; in or just"
                " after entry $[0] (MAL id 1))"
            ],
        ),
        (
            {"override_tv.json": [override(1, season={"number": "two"})]},
            ["overrides/override_tv.json: $[0].trakt.season.number: 'two' is not of type 'integer'"],
        ),
        (
            {"override_tv.json": [override(1), override(2), override(1, season={"number": 2})]},
            [
                "overrides/override_tv.json: $[2].myanimelist.id: MAL id 1 is already at $[0]; "
                "keep one override per MAL id"
            ],
        ),
        (
            {"override_tv.json": [override(8, "movies")]},
            [
                "overrides/override_movies.json: $[0].myanimelist.id: MAL id 8 with trakt.type 'movies' is also "
                "overridden in overrides/override_tv.json at $[0]; which one applies is ambiguous, keep one"
            ],
        ),
        (
            {"override_movies.json": [override(8, "film")]},
            ["overrides/override_movies.json: $[0].trakt.type: 'film' is not one of ['shows', 'movies']"],
        ),
        (
            {"override_movies.json": [override(8, "movies", season={"number": 1})]},
            [
                "overrides/override_movies.json: $[0].trakt.season: "
                "a movie has no season: remove it, or set type to 'shows'"
            ],
        ),
        (
            {"override_tv.json": [override(1, season=None)]},
            [
                "overrides/override_tv.json: $[0].trakt: a null season is a second cour inside another season: "
                "say where with "
                '"episodes": {"season": N, "offset": K}'
            ],
        ),
        (
            {
                "override_tv.json": [
                    {"myanimelist": {"title": "x", "id": 1}, "trakt": {"title": "y", "id": 2, "type": "shows"}}
                ]
            },
            [
                "overrides/override_tv.json: $[0].trakt: "
                """'season' is required when type is 'shows': add "season": {"number": N}"""
            ],
        ),
        (
            {
                "override_tv.json": [
                    {
                        "myanimelist": {"title": "", "id": "1"},
                        "trakt": {"title": "y", "id": 2, "type": "shows", "season": {"number": 0}},
                    }
                ]
            },
            [
                "overrides/override_tv.json: $[0].myanimelist.id: '1' is not of type 'integer'",
                "overrides/override_tv.json: $[0].myanimelist.title: '' should be non-empty",
            ],
        ),
        (
            {"override_movies.json": {"myanimelist": {"title": "x", "id": 1}}},
            ["overrides/override_movies.json: $: {'myanimelist': {'title': 'x', 'id': 1}} is not of type 'array'"],
        ),
    ],
)
def test_bad_overrides_are_named_by_file_entry_and_field(
    workdir: Path, files: dict[str, Any], messages: list[str]
) -> None:
    write("overrides", files)
    assert validate_overrides(Path("overrides")) == messages


def test_same_mal_id_in_both_override_files_with_different_types_is_allowed(workdir: Path) -> None:
    """Overriding the TV entry and the movie entry of one MAL id is not ambiguous."""
    write("overrides", {"override_tv.json": [override(8)], "override_movies.json": [override(8, "movies")]})
    assert validate_overrides(Path("overrides")) == []


def test_missing_override_files_count_as_empty(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in OVERRIDES:
        Path("overrides", name).unlink()
    assert validate_overrides(Path("overrides")) == []
    assert load_overrides(Path("overrides")) == []
    assert run(capsys) == (
        0,
        ["validate: 4 output files and 0 override files valid (3 shows + 2 movies, 0 overrides)"],
    )


def test_load_overrides_returns_pairs_in_file_order(workdir: Path) -> None:
    assert load_overrides(Path("overrides")) == [
        ("override_tv.json", OVERRIDES["override_tv.json"][0]),
        ("override_tv.json", OVERRIDES["override_tv.json"][1]),
        ("override_movies.json", OVERRIDES["override_movies.json"][0]),
    ]


def test_load_overrides_refuses_with_every_problem(workdir: Path) -> None:
    """enrich must not start on a malformed override file: every problem is in the one error."""
    write("overrides", {"override_tv.json": [override(1, "series"), override(1)], "override_movies.json": "[}"})
    with pytest.raises(PipelineError) as raised:
        load_overrides(Path("overrides"))
    assert str(raised.value).splitlines() == [
        "overrides/override_tv.json: $[0].trakt.type: 'series' is not one of ['shows', 'movies']",
        "overrides/override_tv.json: $[1].myanimelist.id: MAL id 1 is already at $[0]; keep one override per MAL id",
        "overrides/override_movies.json: not valid JSON (Expecting value at line 1, column 2)",
        HOW_TO_FIX,
    ]


def test_validate_all_uses_the_configured_directories(workdir: Path) -> None:
    config = load_config({"output_dir": Path("output"), "overrides_dir": Path("nowhere")}, environ={}, dotenv=None)
    assert validate_all(config) == []
    write("overrides", {"override_tv.json": "{"})
    config = config.replace(overrides_dir=Path("overrides"), output_dir=Path("empty"))
    assert (
        validate_all(config)[-1] == "overrides/override_tv.json: not valid JSON "
        "(Expecting property name enclosed in double quotes at line 1, column 2)"
    )
    assert len(validate_all(config)) == 1


def test_wrong_usage_exits_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--output", "output", "--bogus"])
    assert raised.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize(("season", "offset"), [(1, -1), (-1, 0), (1, None), (1, "12")])
def test_validate_refuses_a_negative_or_missing_episode_offset_without_the_schemas_help(
    season: int, offset: Any
) -> None:
    """Issue 23, item 8: validate checks ``trakt.episodes`` itself; the schema's ``minimum`` is not the only guard."""
    from pipeline.published.checks import output_problems

    entry = show(1)
    entry["trakt"]["episodes"] = {"season": season, "offset": offset}
    entry["trakt"]["season"] = {**entry["trakt"]["season"], "number": season}
    problems = output_problems({"tv_ex.json": [entry]}, Path("output"))
    assert (
        f"output/tv_ex.json: $[0].trakt.episodes: season {season} and offset {offset!r} must be integers >= 0"
        in problems
    )
