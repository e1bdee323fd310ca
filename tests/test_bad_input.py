"""Bad upstream lists and bad overrides: refused with a message naming the place, nothing published changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich, fetch, validate
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.errors import PipelineError
from pipeline.overrides import HOW_TO_FIX
from tests.conftest import API_KEY, make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream
from tests.standins.faultkit import restore_logging, snapshot  # noqa: F401  # restore_logging: a fixture, used by name

QUIET = Options(progress=False)
GOOD_TV = [tv_entry(1, 10), tv_entry(2, 11)]
GOOD_MOVIES = [movie_entry(3, 20)]
_GOOD_TV_BYTES = json.dumps(GOOD_TV).encode()
HINT = " (check ANITRAKT_TV_URL)"

# A whole upstream list that is unusable: (body served with a 200, the exact message)
BAD_LISTS = {
    "html-page": (
        b"<!DOCTYPE html>\n<html><head><title>Rate limited</title></head></html>",
        "upstream tv.json: got an HTML page, not a JSON list" + HINT,
    ),
    "truncated-json": (
        _GOOD_TV_BYTES[:40],
        "upstream tv.json: not valid JSON (Unterminated string starting at line 1, column 36)"
        " - truncated or not JSON" + HINT,
    ),
    "plain-text": (
        b"404: Not Found",
        "upstream tv.json: not valid JSON (Extra data at line 1, column 4) - truncated or not JSON" + HINT,
    ),
    "not-utf8": (b'[{"title": "\xff"}]', "upstream tv.json: not UTF-8 text (byte 12)" + HINT),
    "empty-list": (b"[]", "upstream tv.json: the list is empty" + HINT),
    "object-not-list": (
        b'{"message": "Not Found"}',
        "upstream tv.json: expected a JSON list of entries, got dict" + HINT,
    ),
    "every-entry-bad": (
        json.dumps([{"title": 1, "mal_id": "1"}, {"mal_id": 2}]).encode(),
        "upstream tv.json: none of its 2 entries is valid, e.g. upstream tv.json: $[0]: 'guessed_slug' is a required"
        " property",
    ),
}


def _without(entry: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in entry.items() if name != key}


# Single bad entries in an otherwise good list: (entry, the exact message it is skipped with)
_BAD = tv_entry(5, 15)
BAD_ENTRIES = [
    pytest.param({**_BAD, "mal_id": "5"}, "$[1].mal_id: '5' is not of type 'integer'", id="mal-id-string"),
    pytest.param({**_BAD, "trakt_id": 0}, "$[1].trakt_id: 0 is less than the minimum of 1", id="trakt-id-zero"),
    pytest.param({**_BAD, "season": None}, "$[1].season: None is not of type 'integer'", id="season-null"),
    pytest.param(_without(_BAD, "trakt_id"), "$[1]: 'trakt_id' is a required property", id="no-trakt-id"),
    pytest.param(_without(_BAD, "mal_id"), "$[1]: 'mal_id' is a required property", id="no-mal-id"),
    pytest.param("a string", "$[1]: 'a string' is not of type 'object'", id="not-an-object"),
]


@pytest.fixture
def served(workdir: Path, fake: FakeTrakt) -> FakeTrakt:
    """The fake serves good upstream lists, and .cache/upstream holds the previous download."""
    fake.static["/db/tv.json"] = (200, _GOOD_TV_BYTES, "application/json")
    fake.static["/db/movies.json"] = (200, json.dumps(GOOD_MOVIES).encode(), "application/json")
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(3, 20)])
    return fake


def _trakt_knows(fake: FakeTrakt) -> None:
    for trakt_id in (10, 11, 12, 13, 14, 15):
        fake.shows[trakt_id] = show(trakt_id)
        fake.seasons[trakt_id] = seasons(trakt_id, 1)
    fake.movies[20] = movie(20)


# -- fetch --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), BAD_LISTS.values(), ids=BAD_LISTS.keys())
def test_fetch_refuses_a_bad_list_and_keeps_the_previous_download(
    workdir: Path, served: FakeTrakt, body: bytes, message: str
) -> None:
    """A bad tv.json fails fetch with a message naming it; neither stored list is touched."""
    before = snapshot(workdir / ".cache" / "upstream")
    served.static["/db/tv.json"] = (200, body, "text/html" if body.startswith(b"<") else "application/json")
    with pytest.raises(PipelineError) as caught:
        fetch.fetch(make_config(served))
    assert str(caught.value) == message
    assert snapshot(workdir / ".cache" / "upstream") == before


@pytest.mark.parametrize("status", [404, 500])
def test_fetch_refuses_an_error_status_and_keeps_the_previous_download(
    workdir: Path, served: FakeTrakt, status: int
) -> None:
    """A download that keeps failing names the URL and the variable to check; the stored lists stay."""
    waits: list[float] = []
    before = snapshot(workdir / ".cache" / "upstream")
    served.static["/db/movies.json"] = (status, b"{}", "application/json")
    with pytest.raises(PipelineError) as caught:
        fetch.fetch(make_config(served), sleep=waits.append)
    url = f"{served.url}/db/movies.json"
    assert str(caught.value) == (
        f"upstream movies.json: HTTP 404 from {url} (check ANITRAKT_MOVIES_URL)"
        if status == 404
        else f"upstream movies.json: HTTP 500 from {url} after 6 attempts"
        " (check ANITRAKT_MOVIES_URL, or run again later)"
    )
    assert waits == ([] if status == 404 else [2.0, 4.0, 8.0, 16.0, 32.0])  # a 5xx is retried, a 404 is not
    assert snapshot(workdir / ".cache" / "upstream") == before


@pytest.mark.usefixtures("restore_logging")
def test_fetch_main_exits_1_with_one_line(
    workdir: Path, served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m pipeline.fetch`` on an HTML page: exit 1 and one line on stderr."""
    served.static["/db/tv.json"] = (200, BAD_LISTS["html-page"][0], "text/html")
    monkeypatch.setenv("ANITRAKT_TV_URL", f"{served.url}/db/tv.json")
    monkeypatch.setenv("ANITRAKT_MOVIES_URL", f"{served.url}/db/movies.json")
    assert fetch.main([]) == 1
    assert capsys.readouterr().err == f"fetch: {BAD_LISTS['html-page'][1]}\n"


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_fetch_stores_a_list_with_a_bad_entry_and_reports_it(
    workdir: Path, served: FakeTrakt, entry: Any, message: str
) -> None:
    """One bad entry in a good list is not fatal: the list is stored, the entry reported."""
    body = json.dumps([tv_entry(1, 10), entry, tv_entry(2, 11)]).encode()
    served.static["/db/tv.json"] = (200, body, "application/json")
    checked = fetch.fetch(make_config(served))
    assert checked["shows"].skipped == [f"upstream tv.json: {message}"]
    assert [mal_id for _, e in checked["shows"].entries for mal_id in [e["mal_id"]]] == [1, 2]
    assert (workdir / ".cache" / "upstream" / "tv.json").read_bytes() == body


# -- enrich -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), BAD_LISTS.values(), ids=BAD_LISTS.keys())
def test_enrich_refuses_a_bad_stored_list_before_asking_trakt(
    workdir: Path, fake: FakeTrakt, body: bytes, message: str
) -> None:
    """A bad list in .cache/upstream stops enrich before any request; the published files stay."""
    _trakt_knows(fake)
    write_upstream(workdir, GOOD_TV, GOOD_MOVIES)
    enrich.enrich(make_config(fake), QUIET)
    before = snapshot(workdir / "output")
    (workdir / ".cache" / "upstream" / "tv.json").write_bytes(body)
    fake.reset_log()
    with pytest.raises(PipelineError) as caught:
        enrich.enrich(make_config(fake), QUIET)
    assert str(caught.value) == message.replace("tv.json: ", ".cache/upstream/tv.json: ", 1).removesuffix(HINT)
    assert fake.count() == 0
    assert snapshot(workdir / "output") == before


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_enrich_skips_a_bad_entry_and_reports_it(workdir: Path, fake: FakeTrakt, entry: Any, message: str) -> None:
    """One bad entry is skipped and listed in the run summary; the good ones are published."""
    _trakt_knows(fake)
    write_upstream(workdir, [tv_entry(1, 10), entry, tv_entry(2, 11)], GOOD_MOVIES)
    summary = enrich.enrich(make_config(fake), QUIET)
    assert summary["skipped_upstream"] == [f"upstream tv.json: {message}"]
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json")] == [1, 2]


# -- a list that shrank -------------------------------------------------------------------------------


def _published(workdir: Path, fake: FakeTrakt, count: int) -> dict[str, bytes]:
    """``count`` movies published (every 5th one not found on Trakt), and meta.json recording the lists."""
    for n in range(1, count + 1):
        if n % 5:
            fake.movies[100 + n] = movie(100 + n)
        else:
            fake.not_found_movies.add(100 + n)
    _trakt_knows(fake)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(n, 100 + n) for n in range(1, count + 1)])
    enrich.enrich(make_config(fake), QUIET)
    return snapshot(workdir / "output")


@pytest.mark.usefixtures("restore_logging")
def test_list_that_shrank_past_the_threshold_is_refused(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """movies.json has 16 of the 20 rows meta.json recorded (20% fewer): exit 1 with the way out; nothing changes."""
    before = _published(workdir, fake, 20)
    write_upstream(workdir, [], [movie_entry(n, 100 + n) for n in range(1, 17)])
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    fake.reset_log()
    capsys.readouterr()
    assert enrich.main(["--no-progress", "--movies", ".cache/upstream/movies.json"]) == 1
    assert capsys.readouterr().err == (
        "enrich: upstream movies.json has 16 entries, 20% fewer than the 20 the published files were built from"
        " (meta.json; limit 10%); nothing published changed. If the shrink is intended, run again with --allow-shrink"
        " (the nightly's allow_shrink input)\n"
    )
    assert fake.count() == 0
    assert snapshot(workdir / "output") == before


@pytest.mark.usefixtures("restore_logging")
def test_allow_shrink_flag_publishes_an_intended_shrink(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--allow-shrink accepts the same list, and the published files shrink with it."""
    _published(workdir, fake, 20)
    write_upstream(workdir, [], [movie_entry(n, 100 + n) for n in range(1, 17)])
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    assert enrich.main(["--no-progress", "--allow-shrink", "--movies", ".cache/upstream/movies.json"]) == 0
    assert len(read(workdir, "movies_ex.json")) + len(read(workdir, "not_exist_movies_ex.json")) == 16


def test_shrink_of_exactly_the_threshold_is_accepted(workdir: Path, fake: FakeTrakt) -> None:
    """18 of 20 (10% fewer) is within the limit: published without a flag."""
    _published(workdir, fake, 20)
    write_upstream(workdir, [], [movie_entry(n, 100 + n) for n in range(1, 19)])
    enrich.enrich(make_config(fake), Options(progress=False, kinds=("movies",)))
    assert len(read(workdir, "movies_ex.json")) + len(read(workdir, "not_exist_movies_ex.json")) == 18


def test_entries_added_by_overrides_are_not_a_shrink(workdir: Path, fake: FakeTrakt) -> None:
    """Overrides that add MAL ids upstream lacks are published too: an unchanged upstream is no shrink."""
    _published(workdir, fake, 10)
    added = [
        {
            "myanimelist": {"title": f"Added {n}", "id": 900 + n},
            "trakt": {"title": f"Movie {n}", "id": n, "type": "movies"},
        }
        for n in (1, 2, 3)
    ]
    for n in (1, 2, 3):
        fake.movies[n] = movie(n)
    (workdir / "overrides" / "override_movies.json").write_text(json.dumps(added))
    options = Options(progress=False, kinds=("movies",))
    enrich.enrich(make_config(fake), options)
    assert len(read(workdir, "movies_ex.json")) + len(read(workdir, "not_exist_movies_ex.json")) == 13
    published = snapshot(workdir / "output")
    summary = enrich.enrich(make_config(fake), options)  # the same upstream list and overrides: not refused
    assert sum(info["entries"] for info in summary["files"].values()) == 13
    assert snapshot(workdir / "output") == published


# -- bad overrides ------------------------------------------------------------------------------------


def _override(mal_id: int, trakt_id: int, kind: str = "shows", season: int | None = 1) -> dict[str, Any]:
    trakt: dict[str, Any] = {"title": f"Show {trakt_id}", "id": trakt_id, "type": kind}
    if season is not None:
        trakt["season"] = {"number": season}
    return {"myanimelist": {"title": f"Anime {mal_id}", "id": mal_id}, "trakt": trakt}


def _movie_override(mal_id: int, trakt_id: int) -> dict[str, Any]:
    return _override(mal_id, trakt_id, "movies", None)


TV, MOVIES = "override_tv.json", "override_movies.json"

# (the override files' contents, the exact problems; {dir} is the overrides folder)
BAD_OVERRIDES = {
    "invalid-json": (
        {TV: '[{"myanimelist": {"title": "A", "id": 1},'},
        [
            "{dir}/override_tv.json: not valid JSON (Expecting property name enclosed in double quotes at line 1,"
            " column 42; in or just after entry $[0] (MAL id 1))"
        ],
    ),
    "not-a-list": (
        {TV: {"myanimelist": {}}},
        ["{dir}/override_tv.json: $: {{'myanimelist': {{}}}} is not of type 'array'"],
    ),
    "season-not-a-number": (
        {TV: [{**_override(1, 10), "trakt": {"title": "T", "id": 10, "type": "shows", "season": {"number": "two"}}}]},
        ["{dir}/override_tv.json: $[0].trakt.season.number: 'two' is not of type 'integer'"],
    ),
    "missing-trakt-id": (
        {MOVIES: [{"myanimelist": {"title": "A", "id": 1}, "trakt": {"title": "T", "type": "movies"}}]},
        ["{dir}/override_movies.json: $[0].trakt: 'id' is a required property"],
    ),
    "unknown-field": (
        {TV: [_override(1, 10), {**_override(2, 11), "note": "x"}]},
        ["{dir}/override_tv.json: $[1]: Additional properties are not allowed ('note' was unexpected)"],
    ),
    "duplicate-mal-id": (
        {TV: [_override(1, 10), _override(2, 11), _override(1, 12)]},
        ["{dir}/override_tv.json: $[2].myanimelist.id: MAL id 1 is already at $[0]; keep one override per MAL id"],
    ),
    "same-mal-id-in-both-files": (
        {TV: [_movie_override(1, 10)], MOVIES: [_movie_override(1, 11)]},
        [
            "{dir}/override_movies.json: $[0].myanimelist.id: MAL id 1 with trakt.type 'movies' is also overridden in"
            " {dir}/override_tv.json at $[0]; which one applies is ambiguous, keep one"
        ],
    ),
    "unknown-type": (
        {TV: [_override(1, 10, "anime")]},
        ["{dir}/override_tv.json: $[0].trakt.type: 'anime' is not one of ['shows', 'movies']"],
    ),
    "season-on-a-movie": (
        {MOVIES: [_override(1, 10, "movies", 2)]},
        ["{dir}/override_movies.json: $[0].trakt.season: a movie has no season: remove it, or set type to 'shows'"],
    ),
    "show-without-season": (
        {TV: [_override(1, 10, season=None)]},
        [
            "{dir}/override_tv.json: $[0].trakt: 'season' is required when type is 'shows': add \"season\":"
            ' {{"number": N}}'
        ],
    ),
    "every-problem-at-once": (
        {TV: [_override(1, 10, "anime"), _override(1, 10, season=None)], MOVIES: [_override(2, 20, "movies", 1)]},
        [
            "{dir}/override_tv.json: $[0].trakt.type: 'anime' is not one of ['shows', 'movies']",
            "{dir}/override_tv.json: $[1].trakt: 'season' is required when type is 'shows': add \"season\":"
            ' {{"number": N}}',
            "{dir}/override_tv.json: $[1].myanimelist.id: MAL id 1 is already at $[0]; keep one override per MAL id",
            "{dir}/override_movies.json: $[0].trakt.season: a movie has no season: remove it, or set type to 'shows'",
        ],
    ),
}


def _write_overrides(folder: Path, files: dict[str, Any]) -> None:
    for name in (TV, MOVIES):
        data = files.get(name, [])
        (folder / name).write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("files", "problems"), BAD_OVERRIDES.values(), ids=BAD_OVERRIDES.keys())
def test_validate_names_file_entry_and_field_of_a_bad_override(
    workdir: Path, capsys: pytest.CaptureFixture[str], files: dict[str, Any], problems: list[str]
) -> None:
    """``python -m pipeline.validate`` prints one line per problem, naming file, entry and field, and exits 1."""
    output = workdir / "output"
    output.mkdir()
    for name in ("tv_ex.json", "movies_ex.json", "not_exist_tv_ex.json", "not_exist_movies_ex.json"):
        (output / name).write_text("[]\n")
    _write_overrides(workdir / "overrides", files)
    assert validate.main(["--output-dir", "output", "--overrides-dir", "overrides"]) == 1
    lines = capsys.readouterr().err.splitlines()
    count = len(problems)
    assert lines == [
        *(problem.format(dir="overrides") for problem in problems),
        f"validate: {count} problem{'s' if count > 1 else ''}; fix them before anything is published",
        HOW_TO_FIX,
    ]


@pytest.mark.parametrize(("files", "problems"), BAD_OVERRIDES.values(), ids=BAD_OVERRIDES.keys())
def test_enrich_refuses_to_start_with_a_bad_override(
    workdir: Path, fake: FakeTrakt, files: dict[str, Any], problems: list[str]
) -> None:
    """enrich stops before asking Trakt or writing a file, with the same lines as validate."""
    _trakt_knows(fake)
    write_upstream(workdir, GOOD_TV, GOOD_MOVIES)
    _write_overrides(workdir / "overrides", files)
    with pytest.raises(PipelineError) as caught:
        enrich.enrich(make_config(fake), QUIET)
    assert str(caught.value).splitlines() == [*(problem.format(dir="overrides") for problem in problems), HOW_TO_FIX]
    assert fake.count() == 0
    assert not (workdir / "output").exists()
    assert not (workdir / ".cache" / "trakt.sqlite").exists()


# -- bad settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "field"), [("TRAKT_TIMEOUT", "0.5", "timeout"), ("TRAKT_REFRESH_DAYS", "7.5", "refresh_days")]
)
def test_fractional_seconds_and_days_in_the_environment_are_accepted(variable: str, value: str, field: str) -> None:
    """A float setting whose YAML default is written as an integer still takes a fraction from the environment."""
    from pipeline.config import load_config

    assert getattr(load_config(environ={variable: value}, dotenv=None), field) == float(value)


@pytest.mark.usefixtures("restore_logging")
def test_bad_setting_exits_1_with_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A setting that is not a number stops enrich with exit 1 and one line naming it, not a traceback."""
    monkeypatch.setenv("TRAKT_MAX_RETRIES", "five")
    assert enrich.main(["--no-progress", "--api-key", API_KEY]) == 1
    assert capsys.readouterr().err == "enrich: TRAKT_MAX_RETRIES='five': expected a number\n"
    assert not (workdir / "output").exists()
