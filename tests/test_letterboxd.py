"""Letterboxd ids of films: kept from the previous output, set by overrides, resolved from Wikidata's SPARQL.

Wikidata is the fake's ``/sparql`` route (pipeline/demo/fake_trakt.py): it reads the query's VALUES
clauses and answers in the SPARQL JSON results format; faults add its 429s, 500s and broken bodies.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from pipeline import enrich, report
from pipeline.demo.fake_trakt import SPARQL_PATH, FakeTrakt, Fault
from pipeline.enrich import Options
from pipeline.published import schemas
from pipeline.sources import SourceError, wikidata
from tests.conftest import make_config, movie, movie_entry, read, write_upstream

QUIET = Options(progress=False, kinds=("movies",))
# fetch's retries, without real waiting: 2 retries after the first attempt
FAST = {
    "download_max_retries": 2,
    "download_backoff": 0.001,
    "download_backoff_max": 0.001,
    "download_retry_after_max": 0.001,
}
SLUG = {"slug": "film-a", "lid": None, "uid": None}


def run(fake: FakeTrakt, **config: Any) -> dict[str, Any]:
    return enrich.enrich(make_config(fake, **{**FAST, **config}), QUIET)


def letterboxd(workdir: Path) -> dict[int, Any]:
    """MAL id -> externals.letterboxd, checking that both copies agree."""
    found = {}
    for entry in read(workdir, "movies_ex.json"):
        assert entry["externals"]["letterboxd"] == entry["trakt"]["externals"]["letterboxd"]
        found[entry["myanimelist"]["id"]] = entry["externals"]["letterboxd"]
    return found


def published_bytes(workdir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((workdir / "output").iterdir())}


def sparql_queries(fake: FakeTrakt) -> list[str]:
    return ["".join(parse_qs(r.query)["query"]) for r in fake.sparql_requests]


def two_films(workdir: Path, fake: FakeTrakt) -> None:
    """MAL 2 -> Trakt 20 (TMDB 3020), MAL 3 -> Trakt 21 (TMDB 3021); Wikidata knows the first only."""
    fake.movies[20], fake.movies[21] = movie(20), movie(21)
    fake.letterboxd_by_tmdb[3020] = ["film-a"]
    write_upstream(workdir, [], [movie_entry(2, 20), movie_entry(3, 21)])


def test_new_film_gets_its_slug_from_wikidata_by_tmdb_id(workdir: Path, fake: FakeTrakt) -> None:
    """A film without Letterboxd ids gets Wikidata's slug (lid and uid null); one Wikidata doesn't know stays null."""
    two_films(workdir, fake)
    summary = run(fake)
    assert letterboxd(workdir) == {2: SLUG, 3: None}
    assert summary["letterboxd"] == {
        "kept": 0, "overridden": 0, "resolved": 1, "unknown": 1, "asked": 2, "batches": 1, "problem": None
    }  # fmt: skip
    (query,) = sparql_queries(fake)
    assert 'VALUES ?tmdb { "3020" "3021" }' in query and "wdt:P6127" in query
    assert schemas.problems(read(workdir, "movies_ex.json"), "movies_ex.json", where="movies_ex.json") == []


def test_imdb_id_is_asked_when_trakt_has_no_tmdb_id(workdir: Path, fake: FakeTrakt) -> None:
    """A film Trakt gives no TMDB id is looked up by its IMDb id (P345)."""
    fake.movies[20] = movie(20, tmdb=None)
    fake.letterboxd_by_imdb["tt0000020"] = ["film-a"]
    write_upstream(workdir, [], [movie_entry(2, 20)])
    run(fake)
    assert letterboxd(workdir) == {2: SLUG}
    assert 'VALUES ?imdb { "tt0000020" }' in sparql_queries(fake)[0]


def test_film_with_two_slugs_on_wikidata_stays_null(workdir: Path, fake: FakeTrakt) -> None:
    """Two Letterboxd ids on one TMDB id: which is right is unknown, so none is published."""
    fake.movies[20] = movie(20)
    fake.letterboxd_by_tmdb[3020] = ["film-a", "film-a-1999"]
    write_upstream(workdir, [], [movie_entry(2, 20)])
    assert run(fake)["letterboxd"]["resolved"] == 0
    assert letterboxd(workdir) == {2: None}


def test_known_ids_are_not_asked_again(workdir: Path, fake: FakeTrakt) -> None:
    """The next night asks Wikidata only for the film still unknown; the known slug stays."""
    two_films(workdir, fake)
    run(fake)
    fake.reset_log()
    summary = run(fake)
    assert letterboxd(workdir) == {2: SLUG, 3: None}
    (query,) = sparql_queries(fake)
    assert '"3021"' in query and '"3020"' not in query
    assert summary["letterboxd"]["kept"] == 1


def test_films_are_asked_in_batches(workdir: Path, fake: FakeTrakt) -> None:
    """Five unknown films with batches of two: three queries, each with at most two ids."""
    for n in range(5):
        fake.movies[20 + n] = movie(20 + n)
        fake.letterboxd_by_tmdb[3020 + n] = [f"film-{n}"]
    write_upstream(workdir, [], [movie_entry(2 + n, 20 + n) for n in range(5)])
    summary = run(fake, wikidata_batch=2)
    queries = sparql_queries(fake)
    assert len(queries) == summary["letterboxd"]["batches"] == 3
    assert [query.count('"30') for query in queries] == [2, 2, 1]
    assert [ids["slug"] for ids in letterboxd(workdir).values()] == [f"film-{n}" for n in range(5)]


def test_request_names_the_project_and_asks_for_sparql_json(workdir: Path, fake: FakeTrakt) -> None:
    """Wikimedia refuses generic clients: the query carries a descriptive User-Agent and asks for JSON results."""
    two_films(workdir, fake)
    run(fake)
    (request,) = fake.sparql_requests
    assert request.headers["user-agent"].startswith("extended-anitrakt/")
    assert "github.com" in request.headers["user-agent"]
    assert request.headers["accept"] == "application/sparql-results+json"
    assert parse_qs(request.query)["format"] == ["json"]


BROKEN = [
    pytest.param(Fault(status=429, headers={"Retry-After": "3"}, path=SPARQL_PATH), 3, id="429-retry-after"),
    pytest.param(Fault(status=500, body=b"java.util.concurrent.TimeoutException", path=SPARQL_PATH), 3, id="500"),
    pytest.param(Fault(body=b'{"head": {"vars": ["slug"]}, "results": {"bindi', path=SPARQL_PATH), 1, id="truncated"),
    pytest.param(Fault(body=b"<html><body>Service unavailable</body></html>", path=SPARQL_PATH), 1, id="html"),
    pytest.param(Fault(status=403, path=SPARQL_PATH), 1, id="refused-403"),
]


@pytest.mark.parametrize(("fault", "asked"), BROKEN)
def test_failed_query_changes_no_published_byte(workdir: Path, fake: FakeTrakt, fault: Fault, asked: int) -> None:
    """A refused, failing or malformed Wikidata answer: not one published byte changes, the report warns,
    and the next good night resolves what the failed one could not (no broken answer is cached)."""
    two_films(workdir, fake)
    run(fake)
    before = published_bytes(workdir)
    fake.letterboxd_by_tmdb[3021] = ["film-b"]  # a good answer tonight would publish it
    fake.reset_log()
    fake.add_fault(fault)
    summary = run(fake)
    assert published_bytes(workdir) == before
    assert len(sparql_queries(fake)) == asked  # 429 and 500 retried, a 4xx or a broken body not
    problem = summary["letterboxd"]["problem"]
    assert problem.startswith("Wikidata SPARQL: ") and problem.endswith("the known ones are kept")
    assert f"Letterboxd lookup failed: {problem}" in report.render(summary)
    fake.clear_faults()
    run(fake)
    assert letterboxd(workdir) == {2: SLUG, 3: {"slug": "film-b", "lid": None, "uid": None}}


def test_one_rate_limited_answer_is_waited_out(workdir: Path, fake: FakeTrakt) -> None:
    """A single 429 with Retry-After is retried, and the film is resolved."""
    two_films(workdir, fake)
    fake.add_fault(Fault(status=429, headers={"Retry-After": "1"}, path=SPARQL_PATH, times=1))
    summary = run(fake)
    assert len(sparql_queries(fake)) == 2
    assert summary["letterboxd"]["problem"] is None
    assert letterboxd(workdir)[2] == SLUG


def test_one_failed_batch_resolves_nothing_that_night(workdir: Path, fake: FakeTrakt) -> None:
    """The first batch answered, the second failed: the night publishes neither (the night's data as it was)."""
    two_films(workdir, fake)
    fake.add_fault(Fault(status=403, path=SPARQL_PATH, times=1))
    run(fake)  # Trakt's answers are cached now: the next night asks only Wikidata
    fake.reset_log()
    fake.add_fault(Fault(status=500, path=SPARQL_PATH, after=1))  # the first request answered, then 500s
    summary = run(fake, wikidata_batch=1)
    assert fake.count() == 0 and len(fake.sparql_requests) == 1 + 3  # batch 1, then batch 2 and its 2 retries
    assert summary["letterboxd"]["resolved"] == 0 and summary["letterboxd"]["problem"]
    assert letterboxd(workdir) == {2: None, 3: None}


def test_imported_ids_survive_every_night(workdir: Path, fake: FakeTrakt) -> None:
    """The predecessor's full ids (slug, lid, uid) stay when Trakt refreshes the entry, and Wikidata isn't asked."""
    two_films(workdir, fake)
    run(fake)
    entries = read(workdir, "movies_ex.json")
    imported = {"slug": "cowboy-bebop-the-movie", "lid": "1Uc4", "uid": 45434}
    for entry in entries:
        entry["trakt"]["externals"]["letterboxd"] = entry["externals"]["letterboxd"] = imported
        entry["origin"] = "imported"
    (workdir / "output" / "movies_ex.json").write_text(json.dumps(entries, indent=2) + "\n")
    fake.reset_log()
    summary = run(fake)
    assert letterboxd(workdir) == {2: imported, 3: imported}
    assert sparql_queries(fake) == []
    assert summary["letterboxd"]["kept"] == 2


def test_ids_of_another_film_are_not_carried_to_a_new_mapping(workdir: Path, fake: FakeTrakt) -> None:
    """When upstream maps the MAL id to another Trakt movie, the old film's Letterboxd ids go with it."""
    two_films(workdir, fake)
    run(fake)
    fake.movies[22] = movie(22)
    write_upstream(workdir, [], [movie_entry(2, 22), movie_entry(3, 21)])
    run(fake)
    assert letterboxd(workdir)[2] is None


def test_override_sets_the_ids(workdir: Path, fake: FakeTrakt) -> None:
    """An override's trakt.externals.letterboxd is published as given, over Wikidata's slug."""
    two_films(workdir, fake)
    ids = {"slug": "the-right-one", "lid": "abcd", "uid": 7}
    override = {
        "myanimelist": {"title": "Anime movie 2", "id": 2},
        "trakt": {"title": "Movie 20", "id": 20, "type": "movies", "externals": {"letterboxd": ids}},
    }
    (workdir / "overrides" / "override_movies.json").write_text(json.dumps([override]))
    summary = run(fake)
    assert letterboxd(workdir) == {2: ids, 3: None}
    assert summary["letterboxd"]["overridden"] == 1
    assert '"3020"' not in sparql_queries(fake)[0]


def test_a_show_override_with_letterboxd_ids_is_refused(workdir: Path, fake: FakeTrakt) -> None:
    """Only a movie has Letterboxd ids: the override check says so, naming file, entry and field."""
    from pipeline.overrides import load_overrides

    override = {
        "myanimelist": {"title": "A show", "id": 1},
        "trakt": {
            "title": "Show",
            "id": 10,
            "type": "shows",
            "season": {"number": 1},
            "externals": {"letterboxd": None},
        },
    }
    (workdir / "overrides" / "override_tv.json").write_text(json.dumps([override]))
    with pytest.raises(Exception, match=r"override_tv.json.*\$\[0\]\.trakt\.externals.*only a movie has Letterboxd"):
        load_overrides(workdir / "overrides")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"upstream request timeout", "the answer is not JSON"),
        (b'{"results": {"bindings": []}}', "not a SPARQL JSON result (no head and results.bindings)"),
        (b'{"head": {}, "results": {}}', "not a SPARQL JSON result (no head and results.bindings)"),
    ],
)
def test_parser_names_what_is_wrong_with_the_answer(payload: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=rf"^Wikidata SPARQL: {re.escape(message)}.*\(check WIKIDATA_SPARQL_URL\)$"):
        wikidata.parse(payload)


def test_parser_skips_rows_without_a_usable_slug_or_id() -> None:
    """Rows with no slug, a slug that is no Letterboxd slug, or no id are skipped; the others are read."""
    rows = [
        {"slug": {"type": "literal", "value": "akira"}, "tmdb": {"type": "literal", "value": "149"}},
        {"slug": {"type": "literal", "value": "Not A Slug/"}, "tmdb": {"type": "literal", "value": "150"}},
        {"tmdb": {"type": "literal", "value": "151"}},
        {"slug": {"type": "literal", "value": "orphan"}},
        {"slug": {"type": "literal", "value": "perfect-blue"}, "imdb": {"type": "literal", "value": "tt0156887"}},
    ]
    payload = json.dumps({"head": {"vars": ["slug", "tmdb", "imdb"]}, "results": {"bindings": rows}}).encode()
    assert [(row.slug, row.tmdb, row.imdb) for row in wikidata.parse(payload)] == [
        ("akira", 149, None),
        ("perfect-blue", None, "tt0156887"),
    ]


def test_query_puts_only_well_formed_ids_in_the_values() -> None:
    """Nothing but digits and tt-ids reaches the SPARQL text."""
    query = wikidata.query([149], ["tt0156887", 'tt1" } DROP'])
    assert 'VALUES ?tmdb { "149" }' in query
    assert 'VALUES ?imdb { "tt0156887" }' in query
    assert "DROP" not in query


def test_an_unreachable_wikidata_costs_the_night_its_budget_not_its_retries(fake: FakeTrakt) -> None:
    """Issue 23, item 7: with the endpoint unreachable, the night waits at most the budget (20 s), not 62 s
    of backoff, and the report says what was skipped (on a clock that advances only by the waits)."""
    from pipeline import letterboxd as films
    from pipeline.report import _letterboxd
    from tests.test_download import refused_url

    config = make_config(fake, wikidata_sparql_url=refused_url())  # the default retries: 2, 4, 8, 16, 32 s
    slept: list[float] = []
    entry = {
        "myanimelist": {"title": "A film", "id": 2},
        "trakt": {"title": "Movie 20", "id": 20, "slug": "movie-20", "type": "movies", "release_year": 2001,
                  "externals": {"tmdb": 3020, "imdb": None}},
        "origin": "upstream",
    }  # fmt: skip

    outcome = films.fill(config, {2: entry}, {}, {}, sleep=slept.append, clock=lambda: sum(slept))

    assert 0 < sum(slept) <= config.wikidata_budget == 20
    assert outcome.problem is not None and "skipped for tonight: Wikidata used its budget of 20 s" in outcome.problem
    assert any("skipped for tonight: Wikidata" in line for line in _letterboxd(outcome.summary()))
