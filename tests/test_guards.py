"""The guards: a shrunk upstream list, or a Trakt-side mass failure, is refused; a normal night is published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline import enrich
from pipeline.config import load_config
from pipeline.demo.fake_trakt import FakeTrakt
from pipeline.enrich import Options
from pipeline.errors import PipelineError
from pipeline.trakt.client import TraktClient
from tests.conftest import API_KEY, make_config, movie, movie_entry, read, seasons, show, tv_entry, write_upstream
from tests.standins.faultkit import restore_logging, snapshot  # noqa: F401  # restore_logging: a fixture, used by name

QUIET = Options(progress=False)
FORCED = Options(progress=False, force=True)
SIZE = 150  # entries a file; the 10% limit is 15 entries, above the 10-entry floor
WAY_OUT = "if the change is intended, run again with --allow-shrink (the nightly's allow_shrink input)"
TRAKT_CAUSE = (
    "Nothing published changed: if Trakt (or TRAKT_API_URL) is at fault, run again later: the answers behind these"
    " changes were dropped from the cache; " + WAY_OUT
)


def tv_list(mal_ids: range | list[int]) -> list[dict[str, Any]]:
    return [tv_entry(n, 1000 + n, season=2 if n % 3 == 0 else 1) for n in mal_ids]


def movie_list(mal_ids: range | list[int]) -> list[dict[str, Any]]:
    return [movie_entry(n, 2000 + n) for n in mal_ids]


def trakt_knows(fake: FakeTrakt, mal_ids: range) -> None:
    for n in mal_ids:
        fake.shows[1000 + n] = show(1000 + n)
        fake.seasons[1000 + n] = seasons(1000 + n, 1, 2)
        fake.movies[2000 + n] = movie(2000 + n)


@pytest.fixture
def published(workdir: Path, fake: FakeTrakt) -> dict[str, bytes]:
    """150 shows and 150 movies published (MAL 1-150), meta.json recording both upstream lists."""
    trakt_knows(fake, range(1, SIZE + 60))
    write_upstream(workdir, tv_list(range(1, SIZE + 1)), movie_list(range(1, SIZE + 1)))
    enrich.enrich(make_config(fake), QUIET)
    assert len(read(workdir, "tv_ex.json")) == len(read(workdir, "movies_ex.json")) == SIZE
    assert read(workdir, "meta.json")["upstream"]["movies.json"]["entries"] == SIZE
    fake.reset_log()
    return snapshot(workdir / "output")


def refused(workdir: Path, config: Any, options: Options = QUIET) -> str:
    """Run enrich, expecting a refusal: the reason; nothing in output/ changed, no run summary written."""
    before = snapshot(workdir / "output")
    with pytest.raises(PipelineError) as caught:
        enrich.enrich(config, options)
    assert snapshot(workdir / "output") == before
    assert not config.run_summary.exists()
    return str(caught.value)


def test_a_normal_night_is_published(workdir: Path, fake: FakeTrakt, published: dict[str, bytes]) -> None:
    """A few entries removed, not found and split cour, each under 10%: published, and reported."""
    for n in (1, 2, 3):
        fake.not_found_shows.add(1000 + n)
    for n in (4, 5):
        fake.seasons[1000 + n] = seasons(1000 + n, 2)  # season 1 is gone: a split cour
    fake.not_found_movies.update({2001, 2002})
    write_upstream(workdir, tv_list([*range(1, 146), 151, 152]), movie_list(range(1, SIZE + 1)))
    summary = enrich.enrich(make_config(fake), FORCED)
    shows, movies = summary["changes"]["shows"], summary["changes"]["movies"]
    assert (shows["not_found_new"], shows["created"]) == ([1, 2, 3], [151, 152])
    assert shows["removed"] == [1, 2, 3, 146, 147, 148, 149, 150]  # the report's "removed" includes the not found
    assert [e["myanimelist"]["id"] for e in read(workdir, "tv_ex.json") if e["trakt"]["is_split_cour"]] == [4, 5]
    assert movies["not_found_new"] == [1, 2]


def test_upstream_list_cut_to_half_is_refused_before_any_request(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """movies.json with 75 of the 150 rows meta.json recorded: refused at once, naming both counts."""
    write_upstream(workdir, tv_list(range(1, SIZE + 1)), movie_list(range(1, 76)))
    assert refused(workdir, make_config(fake)) == (
        "upstream movies.json has 75 entries, 50% fewer than the 150 the published files were built from (meta.json;"
        " limit 10%); nothing published changed. If the shrink is intended, run again with --allow-shrink (the"
        " nightly's allow_shrink input)"
    )
    assert fake.count() == 0


def test_upstream_shrink_of_exactly_the_threshold_is_accepted(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """135 of 150 rows (10% fewer, 15 removed): within both limits, published."""
    write_upstream(workdir, tv_list(range(1, SIZE + 1)), movie_list(range(1, 136)))
    summary = enrich.enrich(make_config(fake), QUIET)
    assert len(summary["changes"]["movies"]["removed"]) == 15
    assert len(read(workdir, "movies_ex.json")) == 135


def test_list_replaced_by_one_of_the_same_size_is_refused_as_removals(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """The same number of rows but 16 published MAL ids gone: the removal guard refuses before any request."""
    write_upstream(workdir, tv_list([*range(17, SIZE + 1), *range(151, 167)]), movie_list(range(1, SIZE + 1)))
    assert refused(workdir, make_config(fake)) == (
        "tv_ex.json: of its 150 published entries, this run would remove 16 (11%) (limit 10% each). Nothing published"
        " changed: their MAL ids are in neither the upstream list, the overrides nor discovery; " + WAY_OUT
    )
    assert fake.count() == 0


def test_movies_list_replaced_by_one_of_the_same_size_is_refused_as_removals(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """The guard before the lookups counts the movies' removals too: 16 published movies gone, refused at once."""
    write_upstream(workdir, tv_list(range(1, SIZE + 1)), movie_list([*range(17, SIZE + 1), *range(151, 167)]))
    assert refused(workdir, make_config(fake)) == (
        "movies_ex.json: of its 150 published entries, this run would remove 16 (11%) (limit 10% each). Nothing"
        " published changed: their MAL ids are in neither the upstream list, the overrides nor discovery; " + WAY_OUT
    )
    assert fake.count() == 0


def test_wrong_trakt_api_url_answering_404_for_everything_is_refused(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """Another server that knows no id (a wrong TRAKT_API_URL): every entry would be not found; refused."""
    with FakeTrakt(expected_key=API_KEY) as wrong:
        reason = refused(workdir, make_config(wrong))
        assert wrong.count() == 2 * SIZE
    assert reason == (
        "tv_ex.json: of its 150 published entries, this run would move 150 (100%) to not found; movies_ex.json: of its"
        " 150 published entries, this run would move 150 (100%) to not found (limit 10% each). " + TRAKT_CAUSE
    )


def test_trakt_404_for_many_ids_is_refused_and_asked_again_next_run(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """16 movies answer 404 on a forced refresh: refused; the 404s are not kept, so the next night asks again."""
    fake.not_found_movies.update(2000 + n for n in range(1, 17))
    reason = refused(workdir, make_config(fake), FORCED)
    assert reason == (
        "movies_ex.json: of its 150 published entries, this run would move 16 (11%) to not found (limit 10% each). "
        + TRAKT_CAUSE
    )
    fake.not_found_movies.clear()  # the incident is over
    fake.reset_log()
    enrich.enrich(make_config(fake), QUIET)
    assert sorted(r.path for r in fake.requests) == sorted(f"/movies/{2000 + n}" for n in range(1, 17))
    assert snapshot(workdir / "output") == published


def test_empty_seasons_for_many_shows_is_refused_and_asked_again_next_run(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """Trakt answers an empty season list for every show: 150 split cours refused; the next night asks again."""
    for n in range(1, SIZE + 1):
        fake.seasons[1000 + n] = []
    reason = refused(workdir, make_config(fake), FORCED)
    assert reason == (
        "tv_ex.json: of its 150 published entries, this run would flip 150 (100%) to split cour (limit 10% each). "
        + TRAKT_CAUSE
    )
    for n in range(1, SIZE + 1):
        fake.seasons[1000 + n] = seasons(1000 + n, 1, 2)
    fake.reset_log()
    enrich.enrich(make_config(fake), QUIET)
    assert fake.count() == 2 * SIZE  # each show and its seasons asked again; the movies come from the cache
    assert snapshot(workdir / "output") == published


def test_a_refused_night_drops_the_answers_behind_it_in_one_delete(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """requests-cache vacuums the whole database after a delete of several keys: 150 refused split cours are
    forgotten in one delete (one vacuum), not one per show, which took minutes on a night of thousands."""
    deletes: list[int] = []

    def counting_client(*args: Any, **kwargs: Any) -> TraktClient:
        client = TraktClient(*args, **kwargs)
        delete = client.session.cache.delete

        def counted(*keys: str, **options: Any) -> None:
            deletes.append(len(keys))
            delete(*keys, **options)

        client.session.cache.delete = counted  # type: ignore[method-assign]
        return client

    for n in range(1, SIZE + 1):
        fake.seasons[1000 + n] = []
    with pytest.raises(PipelineError):
        enrich.enrich(make_config(fake), FORCED, client_factory=counting_client)
    assert deletes == [2 * SIZE]  # each show's answer and its seasons', at once


def test_changes_at_the_limit_each_are_published(workdir: Path, fake: FakeTrakt, published: dict[str, bytes]) -> None:
    """15 removed, 15 not found and 15 split cour in one file: each is at 10%, none past it; published."""
    fake.not_found_shows.update(1000 + n for n in range(16, 31))
    for n in range(31, 46):
        fake.seasons[1000 + n] = seasons(1000 + n, 5)
    write_upstream(workdir, tv_list(range(16, SIZE + 1)), movie_list(range(1, SIZE + 1)))
    summary = enrich.enrich(make_config(fake), FORCED)
    shows = summary["changes"]["shows"]
    assert (len(shows["removed"]), len(shows["not_found_new"])) == (30, 15)  # removed from tv_ex.json: both
    assert sum(e["trakt"]["is_split_cour"] for e in read(workdir, "tv_ex.json")) == 15


def test_a_small_file_is_not_guarded_below_the_floor(workdir: Path, fake: FakeTrakt) -> None:
    """3 of 5 published movies not found: 60%, but no more than 10 entries, so no mass change."""
    trakt_knows(fake, range(1, 6))
    write_upstream(workdir, [], movie_list(range(1, 6)))
    options = Options(progress=False, kinds=("movies",))
    enrich.enrich(make_config(fake), options)
    fake.not_found_movies.update({2001, 2002, 2003})
    enrich.enrich(make_config(fake), Options(progress=False, kinds=("movies",), force=True))
    assert len(read(workdir, "not_exist_movies_ex.json")) == 3


def test_threshold_comes_from_the_environment(workdir: Path, fake: FakeTrakt, published: dict[str, bytes]) -> None:
    """ANITRAKT_MASS_CHANGE_THRESHOLD=0.5 lets 30 split cours of 150 (20%) through."""
    config = load_config(environ={"ANITRAKT_MASS_CHANGE_THRESHOLD": "0.5"}, dotenv=None)
    assert config.mass_change_threshold == 0.5
    for n in range(1, 31):
        fake.seasons[1000 + n] = seasons(1000 + n, 7)
    enrich.enrich(make_config(fake, mass_change_threshold=config.mass_change_threshold), FORCED)
    assert sum(e["trakt"]["is_split_cour"] for e in read(workdir, "tv_ex.json")) == 30


@pytest.mark.usefixtures("restore_logging")
def test_enrich_main_refuses_with_one_line_and_allow_shrink_publishes(
    workdir: Path,
    fake: FakeTrakt,
    published: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``python -m pipeline.enrich`` exits 1 with the reason on one line; ``--allow-shrink`` publishes the change."""
    fake.not_found_movies.update(2000 + n for n in range(1, SIZE + 1))
    monkeypatch.setenv("TRAKT_API_URL", fake.url)
    monkeypatch.setenv("TRAKT_API_KEY", API_KEY)
    capsys.readouterr()
    assert enrich.main(["--no-progress", "--force"]) == 1
    assert capsys.readouterr().err == (
        "enrich: movies_ex.json: of its 150 published entries, this run would move 150 (100%) to not found (limit 10%"
        " each). " + TRAKT_CAUSE + "\n"
    )
    assert snapshot(workdir / "output") == published
    assert enrich.main(["--no-progress", "--allow-shrink"]) == 0
    assert (len(read(workdir, "movies_ex.json")), len(read(workdir, "not_exist_movies_ex.json"))) == (0, SIZE)


def test_wikidata_is_not_asked_when_a_guard_refuses(
    workdir: Path, fake: FakeTrakt, published: dict[str, bytes]
) -> None:
    """Issue 23, item 8: a refused night asks no outside source more than it must: Wikidata not at all."""
    for n in range(1, 31):
        fake.seasons[1000 + n] = seasons(1000 + n, 7)  # 30 of 150 become split cours: refused
    write_upstream(workdir, tv_list(range(1, SIZE + 1)), movie_list(range(1, SIZE + 6)))  # 5 new films

    refused(workdir, make_config(fake), FORCED)

    assert fake.sparql_requests == []
    for n in range(1, 31):
        fake.seasons[1000 + n] = seasons(1000 + n, 1, 2)
    enrich.enrich(make_config(fake), FORCED)
    assert fake.sparql_requests != []  # a night that publishes does ask, for the new films
