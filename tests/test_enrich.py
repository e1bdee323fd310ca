"""Enrich: how upstream entries, overrides and Trakt answers become the published files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.enrich import Options
from pipeline.published import write
from pipeline.validate import validate_outputs
from tests.conftest import (
    API_KEY,
    kinds_present,
    make_config,
    movie,
    movie_entry,
    read,
    seasons,
    show,
    tv_entry,
    write_upstream,
)
from tests.standins.faultkit import VirtualTime

QUIET = Options(progress=False)


def only_present(options: Options) -> Options:
    """The options, processing only the lists the test wrote."""
    return dataclasses.replace(options, kinds=kinds_present(Path.cwd()))


def run(fake: FakeTrakt, options: Options = QUIET, **config: Any) -> dict[str, Any]:
    return enrich.enrich(make_config(fake, **config), only_present(options))


def add_show(fake: FakeTrakt, trakt_id: int, *numbers: int, title: str = "", **ids: Any) -> None:
    fake.shows[trakt_id] = show(trakt_id, title, **ids)
    fake.seasons[trakt_id] = seasons(trakt_id, *numbers)


def test_show_entry_has_the_spec_keys_in_order(workdir: Path, fake: FakeTrakt) -> None:
    """A found show publishes the spec's OutputShow, keys in the spec's order, then the predecessor's copies."""
    add_show(fake, 10, 0, 1, 2)
    write_upstream(workdir, [tv_entry(1, 10, season=2, title="Kaguya")], [])
    run(fake)
    entry = read(workdir, "tv_ex.json")[0]
    assert list(entry) == ["myanimelist", "trakt", "release_year", "externals", "origin"]
    assert entry["release_year"] == entry["trakt"]["release_year"] == 2020
    assert (
        entry["externals"]
        == entry["trakt"]["externals"]
        == {
            "tvdb": 1010,
            "tmdb": 2010,
            "imdb": "tt0000010",
            "tvrage": None,
            "anidb": None,
            "anilist": None,
        }
    )
    assert list(entry["trakt"]) == [
        "title", "id", "slug", "type", "is_split_cour", "release_year", "season", "episodes", "episode_map",
        "externals",
    ]  # fmt: skip
    assert entry["myanimelist"] == {"title": "Kaguya", "id": 1}
    assert entry["trakt"]["season"] == {
        "id": 1002,
        "number": 2,
        "externals": {"tvdb": 5002, "tmdb": 6002, "tvrage": None},
    }
    assert entry["trakt"]["is_split_cour"] is False
    assert list(entry["trakt"]["externals"]) == ["tvdb", "tmdb", "imdb", "tvrage", "anidb", "anilist"]


def test_missing_season_is_a_split_cour(workdir: Path, fake: FakeTrakt) -> None:
    """A successful seasons answer without MAL's season number makes a split cour with a null season."""
    add_show(fake, 10, 0, 1)
    write_upstream(workdir, [tv_entry(1, 10, season=2)], [])
    run(fake)
    trakt = read(workdir, "tv_ex.json")[0]["trakt"]
    assert trakt["is_split_cour"] is True
    assert trakt["season"] is None


def test_empty_and_zero_ids_and_missing_year_publish_as_null(workdir: Path, fake: FakeTrakt) -> None:
    """Trakt's "" and 0 ids, and a null year, are published as null (the top-level year as 0, the
    predecessor's convention); a film without ids has no Letterboxd ids, and Wikidata is not asked."""
    add_show(fake, 10, 1, imdb="", tvdb=0)
    fake.shows[10]["year"] = None
    fake.movies[20] = movie(20, imdb="", tmdb=0)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    run(fake)
    tv = read(workdir, "tv_ex.json")[0]
    for copy in (tv["trakt"], tv):  # the same in both places
        assert copy["externals"]["imdb"] is None and copy["externals"]["tvdb"] is None
    assert tv["trakt"]["release_year"] is None and tv["release_year"] == 0
    film = read(workdir, "movies_ex.json")[0]
    assert film == {
        "myanimelist": {"title": "Anime movie 2", "id": 2},
        "trakt": {
            "title": "Movie 20",
            "id": 20,
            "slug": "movie-20",
            "type": "movies",
            "release_year": 2001,
            "externals": {"tmdb": None, "imdb": None, "letterboxd": None, "anidb": None, "anilist": None},
        },
        "release_year": 2001,
        "externals": {"tmdb": None, "imdb": None, "letterboxd": None, "anidb": None, "anilist": None},
        "origin": "upstream",
    }
    assert fake.sparql_requests == []
    assert list(film) == ["myanimelist", "trakt", "release_year", "externals", "origin"]


def test_output_is_sorted_by_mal_id_and_byte_stable(workdir: Path, fake: FakeTrakt) -> None:
    """Entries are sorted by MAL id, 2-space indented with non-ASCII kept; a rerun gives the same bytes."""
    add_show(fake, 10, 1, title="Märchen Mädchen")
    add_show(fake, 11, 1)
    write_upstream(workdir, [tv_entry(9, 11), tv_entry(3, 10)], [])
    run(fake)
    first = (workdir / "output" / "tv_ex.json").read_bytes()
    assert [e["myanimelist"]["id"] for e in json.loads(first)] == [3, 9]
    assert "Märchen Mädchen".encode() in first
    assert first.endswith(b"]\n") and first.startswith(b'[\n  {\n    "myanimelist"')
    run(fake)
    assert (workdir / "output" / "tv_ex.json").read_bytes() == first


def test_404_goes_to_not_found_and_asks_no_seasons(workdir: Path, fake: FakeTrakt) -> None:
    """A show answering 404 lands in the not-found file, and its seasons are never asked."""
    fake.not_found_shows.add(10)
    fake.not_found_movies.add(20)
    write_upstream(workdir, [tv_entry(1, 10, title="Gone")], [movie_entry(2, 20, title="Lost film")])
    run(fake)
    assert read(workdir, "not_exist_tv_ex.json") == [{"mal_id": 1, "title": "Gone"}]
    assert read(workdir, "not_exist_movies_ex.json") == [{"mal_id": 2, "title": "Lost film"}]
    assert read(workdir, "tv_ex.json") == []
    assert fake.count("/shows/10/seasons") == 0


def test_each_url_is_asked_once_for_a_shared_show(workdir: Path, fake: FakeTrakt) -> None:
    """Many MAL entries sharing a Trakt show make one show call and one seasons call."""
    add_show(fake, 10, 1, 2, 3)
    write_upstream(workdir, [tv_entry(1, 10, 1), tv_entry(2, 10, 2), tv_entry(3, 10, 3)], [])
    summary = run(fake)
    assert fake.count("/shows/10") == 1
    assert fake.count("/shows/10/seasons") == 1
    assert summary["requests"]["made"] == 2
    assert len(read(workdir, "tv_ex.json")) == 3


def test_second_run_makes_no_requests(workdir: Path, fake: FakeTrakt) -> None:
    """Answers stay fresh in the SQLite cache: a second run right after the first asks Trakt nothing."""
    add_show(fake, 10, 1)
    fake.not_found_movies.add(20)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    run(fake)
    fake.reset_log()
    summary = run(fake)
    assert fake.count() == 0
    assert summary["requests"]["made"] == 0
    assert summary["requests"]["from_cache"] == 3


def test_force_refreshes_everything(workdir: Path, fake: FakeTrakt) -> None:
    """--force ignores fresh cached answers and asks every URL again."""
    add_show(fake, 10, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [])
    run(fake)
    fake.shows[10]["title"] = "Renamed"
    fake.reset_log()
    run(fake, Options(progress=False, force=True))
    assert fake.count() == 2
    assert read(workdir, "tv_ex.json")[0]["trakt"]["title"] == "Renamed"


def test_not_found_is_rechecked_when_its_mapping_changes(workdir: Path, fake: FakeTrakt) -> None:
    """A not-found entry whose upstream Trakt id changes is asked again at once and recovers."""
    fake.not_found_shows.add(10)
    add_show(fake, 11, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [])
    run(fake)
    assert read(workdir, "not_exist_tv_ex.json") == [{"mal_id": 1, "title": "Anime 1"}]
    write_upstream(workdir, [tv_entry(1, 11)], [])
    summary = run(fake)
    assert read(workdir, "not_exist_tv_ex.json") == []
    assert read(workdir, "tv_ex.json")[0]["trakt"]["id"] == 11
    assert summary["changes"]["shows"]["recovered"] == [1]


def test_not_found_is_rechecked_when_its_cached_404_expires(workdir: Path, fake: FakeTrakt) -> None:
    """A cached 404 is reused until it expires; then the entry is asked again and can recover."""
    from requests_cache import CachedSession

    fake.not_found_movies.add(20)
    write_upstream(workdir, [], [movie_entry(2, 20)])
    config = make_config(fake)
    enrich.enrich(config, only_present(QUIET))
    fake.not_found_movies.discard(20)
    fake.movies[20] = movie(20)
    enrich.enrich(config, only_present(QUIET))
    assert read(workdir, "movies_ex.json") == []  # still the cached 404
    session = CachedSession(str(config.trakt_cache), backend="sqlite", serializer="json")
    for key in list(session.cache.responses.keys()):  # as if the refresh slot had come
        cached = session.cache.responses[key]
        cached.expires = datetime(2000, 1, 1, tzinfo=UTC)
        session.cache.responses[key] = cached
    session.close()
    enrich.enrich(config, only_present(QUIET))
    assert read(workdir, "movies_ex.json")[0]["myanimelist"]["id"] == 2
    assert read(workdir, "not_exist_movies_ex.json") == []


def test_duplicate_mal_id_prefers_the_last_entry_found_with_its_season(workdir: Path, fake: FakeTrakt) -> None:
    """Of entries for one MAL id, the last whose season exists wins: over earlier ones and a later split cour."""
    add_show(fake, 10, 1, 2)
    add_show(fake, 11, 1, 2)
    add_show(fake, 12, 1)
    write_upstream(workdir, [tv_entry(1, 10, season=2), tv_entry(1, 11, season=2), tv_entry(1, 12, season=3)], [])
    summary = run(fake)
    trakt = read(workdir, "tv_ex.json")[0]["trakt"]
    assert (trakt["id"], trakt["season"]["number"], trakt["is_split_cour"]) == (11, 2, False)
    assert summary["duplicates"] == [
        {
            "kind": "shows",
            "mal_id": 1,
            "candidates": ["tv.json[0]: trakt 10", "tv.json[1]: trakt 11", "tv.json[2]: trakt 12"],
            "chosen": "tv.json[1]",
        }
    ]


def test_duplicate_mal_id_without_a_clear_winner_takes_the_last(workdir: Path, fake: FakeTrakt) -> None:
    """When no candidate is found with its season, the one listed last is published."""
    fake.movies[20] = movie(20)
    fake.movies[21] = movie(21)
    add_show(fake, 10, 1)
    fake.not_found_shows.add(11)
    write_upstream(workdir, [tv_entry(1, 10, season=4), tv_entry(1, 11)], [movie_entry(2, 20), movie_entry(2, 21)])
    run(fake)
    assert read(workdir, "movies_ex.json")[0]["trakt"]["id"] == 21  # both found: the last
    assert read(workdir, "not_exist_tv_ex.json") == [{"mal_id": 1, "title": "Anime 1"}]


def test_override_replaces_the_upstream_mapping(workdir: Path, fake: FakeTrakt) -> None:
    """An override's Trakt id, season and MAL title replace upstream's before Trakt is asked."""
    add_show(fake, 10, 1)
    add_show(fake, 12, 1, 2, title="Right Show")
    write_upstream(workdir, [tv_entry(1, 10)], [])
    override = {
        "myanimelist": {"title": "Corrected", "id": 1},
        "trakt": {"title": "Right Show", "id": 12, "type": "shows", "season": {"number": 2}},
        "description": "upstream points at the wrong show",
    }
    (workdir / "overrides" / "override_tv.json").write_text(json.dumps([override]))
    summary = run(fake)
    entry = read(workdir, "tv_ex.json")[0]
    assert entry["myanimelist"] == {"title": "Corrected", "id": 1}
    assert (entry["trakt"]["id"], entry["trakt"]["season"]["number"]) == (12, 2)
    assert fake.count("/shows/10") == 0
    assert summary["override_title_mismatches"] == []


def test_override_type_moves_the_entry_and_adds_missing_ones(workdir: Path, fake: FakeTrakt) -> None:
    """trakt.type decides the output file; an override for a MAL id upstream lacks adds the entry."""
    add_show(fake, 10, 1)
    fake.movies[20] = movie(20, title="The Movie")
    fake.movies[21] = movie(21, title="Another")
    fake.movies[22] = movie(22)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(7, 22)])
    overrides = [
        {"myanimelist": {"title": "Was TV", "id": 1}, "trakt": {"title": "The Movie", "id": 20, "type": "movies"}},
        {"myanimelist": {"title": "New", "id": 5}, "trakt": {"title": "Another", "id": 21, "type": "movies"}},
    ]
    (workdir / "overrides" / "override_tv.json").write_text(json.dumps(overrides))
    run(fake)
    assert read(workdir, "tv_ex.json") == []
    assert [e["myanimelist"]["id"] for e in read(workdir, "movies_ex.json")] == [1, 5, 7]


def test_override_title_mismatch_is_reported(workdir: Path, fake: FakeTrakt) -> None:
    """When Trakt's title for an override's id differs from the override's, the run reports it."""
    fake.movies[20] = movie(20, title="Something Else")
    write_upstream(workdir, [], [movie_entry(2, 21)])
    fake.movies[21] = movie(21)
    override = {"myanimelist": {"title": "X", "id": 2}, "trakt": {"title": "The Real One", "id": 20, "type": "movies"}}
    (workdir / "overrides" / "override_movies.json").write_text(json.dumps([override]))
    summary = run(fake)
    assert summary["override_title_mismatches"] == [
        {
            "kind": "movies",
            "mal_id": 2,
            "source": "override_movies.json[0]",
            "trakt_id": 20,
            "override_title": "The Real One",
            "trakt_title": "Something Else",
        }
    ]


def test_failed_seasons_call_is_not_a_split_cour(workdir: Path, fake: FakeTrakt) -> None:
    """When the seasons call fails for good, the previous entry stays (stale), never a split cour."""
    add_show(fake, 10, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [])
    config = make_config(fake)
    enrich.enrich(config, only_present(QUIET))
    before = read(workdir, "tv_ex.json")
    fake.add_fault(Fault(status=500, path=r"^/shows/10/seasons$"))
    summary = enrich.enrich(config, only_present(Options(progress=False, force=True)))
    assert read(workdir, "tv_ex.json") == before
    assert [s["mal_id"] for s in summary["stale"]] == [1]


def test_stale_entry_from_before_the_top_level_copies_is_kept_in_todays_layout(workdir: Path, fake: FakeTrakt) -> None:
    """An entry kept after a failed refresh gains the top-level copies it was published without, so it validates."""
    add_show(fake, 10, 1)
    add_show(fake, 11, 1)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(2, 11)], [movie_entry(3, 20)])
    config = make_config(fake)
    enrich.enrich(config, QUIET)
    published = {name: read(workdir, name) for name in ("tv_ex.json", "movies_ex.json")}
    spec_only = {
        name: [{"myanimelist": e["myanimelist"], "trakt": e["trakt"]} for e in entries]
        for name, entries in published.items()
    }
    for name, entries in spec_only.items():  # as published before the top-level copies existed
        (workdir / "output" / name).write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
    fake.add_fault(Fault(status=500, path=r"^/(shows/10/seasons|movies/20)$"))
    summary = enrich.enrich(config, Options(progress=False, force=True))
    assert sorted(s["mal_id"] for s in summary["stale"]) == [1, 3]
    assert {name: read(workdir, name) for name in published} == published  # refreshed and kept alike
    assert validate_outputs(workdir / "output") == []


def test_failed_lookup_without_previous_data_is_reported_not_published(workdir: Path, fake: FakeTrakt) -> None:
    """A new entry whose lookup fails for good is neither published nor marked not found."""
    write_upstream(workdir, [], [movie_entry(2, 20), movie_entry(3, 21)])
    fake.movies[21] = movie(21)
    fake.add_fault(Fault(status=502, path=r"^/movies/20$"))
    summary = run(fake)
    assert read(workdir, "not_exist_movies_ex.json") == []
    assert [e["myanimelist"]["id"] for e in read(workdir, "movies_ex.json")] == [3]
    assert [f["mal_id"] for f in summary["failed_new"]] == [2]


def test_429_waits_for_retry_after_then_succeeds(workdir: Path, fake: FakeTrakt) -> None:
    """A 429 is retried after the Retry-After it carries (capped by retry_after_max)."""
    fake.movies[20] = movie(20)
    write_upstream(workdir, [], [movie_entry(2, 20)])
    fake.add_fault(Fault(status=429, headers={"Retry-After": "7"}, times=1))
    time = VirtualTime()
    summary = enrich.enrich(make_config(fake, retry_after_max=30.0), only_present(QUIET), client_factory=time.factory)
    assert time.waits == [7.0]
    assert summary["requests"]["throttled"] == 1
    assert read(workdir, "movies_ex.json")[0]["trakt"]["id"] == 20


def test_retry_after_beyond_the_cap_waits_only_the_cap(workdir: Path, fake: FakeTrakt) -> None:
    """A Retry-After longer than retry_after_max is cut to it: one wait of the cap, then the answer."""
    fake.movies[20] = movie(20)
    write_upstream(workdir, [], [movie_entry(2, 20)])
    fake.add_fault(Fault(status=429, headers={"Retry-After": "86400"}, times=1))
    time = VirtualTime()
    enrich.enrich(make_config(fake, retry_after_max=30.0), only_present(QUIET), client_factory=time.factory)
    assert time.waits == [30.0]
    assert fake.count("/movies/20") == 2
    assert read(workdir, "movies_ex.json")[0]["trakt"]["id"] == 20


def test_api_key_is_sent_but_never_stored_in_the_cache(workdir: Path, fake: FakeTrakt) -> None:
    """Every request carries the three headers; the SQLite cache file never contains the key."""
    add_show(fake, 10, 1)
    fake.not_found_movies.add(20)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    config = make_config(fake)
    enrich.enrich(config, only_present(QUIET))
    for request in fake.requests:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["trakt-api-key"] == API_KEY
        assert headers["trakt-api-version"] == "2"
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"].startswith("extended-anitrakt/")
        assert "cache-control" not in headers  # requests-cache's own directive stays in the client
    stored = b"".join(p.read_bytes() for p in config.trakt_cache.parent.glob("trakt.sqlite*"))
    assert b"trakt-api-key" not in stored.lower() or API_KEY.encode() not in stored
    assert API_KEY.encode() not in stored
    assert b"/shows/10" in stored  # the answers are there, so the search looked in the right place


def test_cache_uses_the_json_serializer(workdir: Path, fake: FakeTrakt) -> None:
    """Cached answers are JSON documents, not pickles."""
    import sqlite3

    fake.movies[20] = movie(20)
    write_upstream(workdir, [], [movie_entry(2, 20)])
    config = make_config(fake)
    enrich.enrich(config, only_present(QUIET))
    with sqlite3.connect(config.trakt_cache) as db:
        values = [row[0] for row in db.execute("SELECT value FROM responses")]
    assert values
    for value in values:
        text = value.decode() if isinstance(value, bytes) else value
        assert json.loads(text)["status_code"] == 200


def test_shrunk_upstream_is_refused_unless_allowed(workdir: Path, fake: FakeTrakt) -> None:
    """An upstream list that lost more than 10% of the rows meta.json recorded is refused, unless allowed."""
    from pipeline.errors import PipelineError

    add_show(fake, 10, 1)
    for trakt_id in range(20, 40):
        fake.movies[trakt_id] = movie(trakt_id)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(i, 20 + i) for i in range(1, 21)])
    run(fake)
    before = (workdir / "output" / "movies_ex.json").read_bytes()
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(i, 20 + i) for i in range(1, 18)])
    with pytest.raises(PipelineError, match=r"upstream movies.json has 17 entries, 15% fewer than the 20 the"):
        run(fake)
    assert (workdir / "output" / "movies_ex.json").read_bytes() == before
    run(fake, Options(progress=False, allow_shrink=True))
    assert len(read(workdir, "movies_ex.json")) == 17


def test_bad_upstream_entries_are_skipped_and_reported(workdir: Path, fake: FakeTrakt) -> None:
    """A single bad entry in a good list is skipped and reported, not fatal."""
    fake.movies[20] = movie(20)
    bad = {"title": "No ids", "type": "movies"}
    write_upstream(workdir, [], [movie_entry(2, 20), bad])
    summary = run(fake)
    assert len(read(workdir, "movies_ex.json")) == 1
    assert len(summary["skipped_upstream"]) >= 1
    assert all(message.startswith("upstream movies.json: $[1]") for message in summary["skipped_upstream"])


def test_meta_describes_the_upstream_lists_it_was_built_from(workdir: Path, fake: FakeTrakt) -> None:
    """meta.json gives each upstream list's SHA-256 (of its bytes as downloaded) and its number of entries."""
    fake.movies[20] = movie(20)
    add_show(fake, 10, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20), {"title": "No ids", "type": "movies"}])
    run(fake)
    lists = workdir / ".cache" / "upstream"
    assert json.loads((workdir / "output" / "meta.json").read_text())["upstream"] == {
        "tv.json": {"sha256": hashlib.sha256((lists / "tv.json").read_bytes()).hexdigest(), "entries": 1},
        "movies.json": {"sha256": hashlib.sha256((lists / "movies.json").read_bytes()).hexdigest(), "entries": 2},
    }


def publish_one_show_and_one_film(workdir: Path, fake: FakeTrakt) -> Path:
    """One enrich run publishing MAL 1 (Trakt show 10) and MAL 2 (Trakt movie 20); returns meta.json's path."""
    fake.movies[20] = movie(20)
    add_show(fake, 10, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    run(fake)
    return workdir / "output" / "meta.json"


def test_meta_changes_only_with_the_data(workdir: Path, fake: FakeTrakt) -> None:
    """meta.json is rewritten, dated by the run, when a data file changes, and left as is when nothing changed."""
    meta_path = publish_one_show_and_one_film(workdir, fake)
    meta = json.loads(meta_path.read_text())
    assert meta["files"]["movies_ex.json"] == {"entries": 1}
    meta["last_changed"] = "2001-01-01T00:00:00Z"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    run(fake, Options(progress=False, force=True))
    assert json.loads(meta_path.read_text())["last_changed"] == "2001-01-01T00:00:00Z"
    fake.movies[20]["title"] = "New title"
    started = datetime.now(UTC).replace(microsecond=0)
    run(fake, Options(progress=False, force=True))
    ended = datetime.now(UTC)
    changed = datetime.strptime(json.loads(meta_path.read_text())["last_changed"], "%Y-%m-%dT%H:%M:%S%z")
    assert started <= changed <= ended


def test_meta_dates_the_trakt_facts_by_the_run_that_wrote_them(workdir: Path, fake: FakeTrakt) -> None:
    """After the import, meta.json's trakt_fetched is the predecessor's date; the first enrich that changes
    the data dates it by its own start, the same instant as last_changed; the import's block stays."""
    meta_path = publish_one_show_and_one_film(workdir, fake)
    meta = json.loads(meta_path.read_text())
    imported = {"repository": "a/b", "commit": "91a8adb", "published": "2026-07-24T07:26:20Z", "imported_at": "x"}
    meta_path.write_text(json.dumps({**meta, "trakt_fetched": "2026-07-24T07:26:20Z", "imported": imported}))
    fake.movies[20]["title"] = "New title"
    run(fake, Options(progress=False, force=True))
    meta = json.loads(meta_path.read_text())
    assert meta["trakt_fetched"] == meta["last_changed"] != "2026-07-24T07:26:20Z"
    assert meta["imported"] == imported
    assert meta["built_by"] == "enrich"  # no longer the import: every entry was looked up


def test_run_stopped_before_meta_is_dated_by_the_next_run(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after the data files and before meta.json: the next run writes the same data, and dates meta.json."""
    fake.movies[20] = movie(20)
    add_show(fake, 10, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [movie_entry(2, 20)])
    run(fake)
    meta_path = workdir / "output" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["last_changed"] = "2001-01-01T00:00:00Z"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    fake.movies[20]["title"] = "New title"  # same counts: only the data's bytes change

    def stop(*args: object) -> None:
        raise KeyboardInterrupt  # stopped between the data files and meta.json

    with monkeypatch.context() as patched:
        patched.setattr(write, "meta", stop)
        with pytest.raises(KeyboardInterrupt):
            run(fake, Options(progress=False, force=True))
    assert read(workdir, "movies_ex.json")[0]["trakt"]["title"] == "New title"
    assert json.loads(meta_path.read_text())["last_changed"] == "2001-01-01T00:00:00Z"
    run(fake)  # writes no data file: they hold the new data already
    assert json.loads(meta_path.read_text())["last_changed"] != "2001-01-01T00:00:00Z"
    assert not (workdir / ".cache" / "meta-pending").exists()


def test_meta_is_not_written_from_one_list_alone(workdir: Path, fake: FakeTrakt) -> None:
    """A run over one list, with no earlier meta.json to describe the other, writes no meta.json."""
    fake.movies[20] = movie(20)
    write_upstream(workdir, [], [movie_entry(2, 20)])
    run(fake)
    assert read(workdir, "movies_ex.json")
    assert not (workdir / "output" / "meta.json").exists()


def test_every_entry_says_where_its_mapping_comes_from(workdir: Path, fake: FakeTrakt) -> None:
    """``origin`` is the last key: "upstream" for the upstream lists, "override" for overrides/."""
    add_show(fake, 10, 1)
    add_show(fake, 11, 1)
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(2, 10)], [])
    override = {
        "myanimelist": {"title": "Corrected", "id": 2},
        "trakt": {"title": "Show 11", "id": 11, "type": "shows", "season": {"number": 1}},
    }
    (workdir / "overrides" / "override_tv.json").write_text(json.dumps([override]))
    run(fake)
    assert [(e["myanimelist"]["id"], list(e)[-1], e["origin"]) for e in read(workdir, "tv_ex.json")] == [
        (1, "origin", "upstream"),
        (2, "origin", "override"),
    ]


def test_a_stale_entry_published_before_origin_existed_gets_its_mappings_origin(workdir: Path, fake: FakeTrakt) -> None:
    """The first night after the upgrade, an entry whose refresh fails keeps its data and is still valid."""
    from pipeline.validate import validate_outputs

    add_show(fake, 10, 1)
    write_upstream(workdir, [tv_entry(1, 10)], [])
    run(fake)
    old = read(workdir, "tv_ex.json")
    del old[0]["origin"]
    (workdir / "output" / "tv_ex.json").write_text(json.dumps(old, indent=2) + "\n")
    fake.add_fault(Fault(status=500, path=r"^/shows/10"))
    summary = run(fake, Options(progress=False, force=True), max_retries=0)
    assert [s["mal_id"] for s in summary["stale"]] == [1]
    assert read(workdir, "tv_ex.json") == [{**old[0], "origin": "upstream"}]
    assert [p for p in validate_outputs(workdir / "output") if "tv_ex.json" in p] == []
