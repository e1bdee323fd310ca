"""The report: what a run changed, as Markdown for the job summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import enrich, report
from pipeline.demo.fake_trakt import FakeTrakt, Fault
from pipeline.enrich import Options
from pipeline.errors import PipelineError
from pipeline.published.models import ORIGINS
from tests.conftest import make_config, movie, movie_entry, seasons, show, tv_entry, write_upstream

QUIET = Options(progress=False)


def two_nights(workdir: Path, fake: FakeTrakt) -> None:
    """Night one publishes 1, 2, 3 (3 not found); night two changes, removes, recovers and adds."""
    for trakt_id in (10, 11, 13):
        fake.shows[trakt_id] = show(trakt_id)
        fake.seasons[trakt_id] = seasons(trakt_id, 1)
    fake.not_found_shows.add(12)
    fake.movies[20] = movie(20)
    write_upstream(workdir, [tv_entry(1, 10), tv_entry(2, 11), tv_entry(3, 12)], [movie_entry(5, 20)])
    config = make_config(fake)
    enrich.enrich(config, QUIET)
    fake.shows[10]["title"] = "Retitled"  # MAL 1: updated
    fake.shows[10]["year"] = 1999
    write_upstream(  # MAL 2 leaves; MAL 3 now maps to a show that exists; MAL 4 is new, listed twice
        workdir,
        [tv_entry(1, 10), tv_entry(3, 13), tv_entry(4, 13), tv_entry(4, 11)],
        [movie_entry(5, 20)],
    )
    override = {"myanimelist": {"title": "M", "id": 5}, "trakt": {"title": "Wrong title", "id": 20, "type": "movies"}}
    (workdir / "overrides" / "override_movies.json").write_text(json.dumps([override]))
    enrich.enrich(config, Options(progress=False, force=True))


def test_report_lists_what_the_run_changed(workdir: Path, fake: FakeTrakt, capsys: pytest.CaptureFixture[str]) -> None:
    """Created, updated (with fields), removed, recovered, duplicates and override mismatches, by MAL id."""
    two_nights(workdir, fake)
    assert report.main([]) == 0
    text = capsys.readouterr().out
    assert "| `tv_ex.json` | 3 |" in text and "| `not_exist_tv_ex.json` | 0 |" in text
    assert "| created | 2 | 3, 4 |" in text
    assert "| updated | 1 | 1 |" in text
    assert "Updated fields: `release_year` (1), `trakt.release_year` (1), `trakt.title` (1)" in text
    assert "| removed | 1 | 2 |" in text
    assert "| recovered from not found | 1 | 3 |" in text
    assert "- shows MAL 4: tv.json[2]: trakt 13; tv.json[3]: trakt 11 -> chose tv.json[3]" in text
    assert "- override_movies.json[0] MAL 5 -> trakt 20: override says 'Wrong title', Trakt says 'Movie 20'" in text
    assert "**Kept stale after errors**: none" in text
    assert "(forced refresh)" in text


def test_report_goes_to_the_job_summary_when_set(
    workdir: Path, fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With GITHUB_STEP_SUMMARY set, the Markdown is appended to that file and nothing is printed."""
    two_nights(workdir, fake)
    summary = workdir / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert report.main([]) == 0
    assert capsys.readouterr().out == ""
    written = summary.read_text()
    assert written.startswith("earlier step\n## extended-anitrakt run")
    # The same Markdown is kept in .cache/report.md: the release notes and the "nightly failing" issue.
    assert "earlier step\n" + (workdir / ".cache" / "report.md").read_text() == written


def test_report_after_a_failed_enrich_does_not_show_the_previous_run(
    workdir: Path, fake: FakeTrakt, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that stopped early leaves no summary, so the report fails instead of showing stale news."""
    fake.movies[20] = movie(20)
    write_upstream(workdir, [], [movie_entry(5, 20)])
    config = make_config(fake)
    enrich.enrich(config, Options(progress=False, kinds=("movies",)))
    fake.add_fault(Fault(status=401))
    with pytest.raises(PipelineError, match="rejected the API key"):
        enrich.enrich(config, Options(progress=False, kinds=("movies",), force=True))
    (workdir / ".cache" / "report.md").write_text("## the previous run's report\n")
    assert report.main([]) == 1
    assert "no run summary: the last enrich did not finish" in capsys.readouterr().err
    assert not (workdir / ".cache" / "report.md").exists()


def test_report_lists_stale_and_failed_entries_under_their_own_headings(
    workdir: Path, fake: FakeTrakt, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry kept stale after an error and a new entry that failed are each listed, with why, under its heading."""
    fake.shows[10] = show(10)
    fake.seasons[10] = seasons(10, 1)
    fake.movies[20], fake.movies[21] = movie(20), movie(21)
    write_upstream(workdir, [tv_entry(1, 10, title="Kept")], [movie_entry(3, 21)])
    config = make_config(fake, max_retries=0)
    enrich.enrich(config, QUIET)
    write_upstream(workdir, [tv_entry(1, 10, title="Kept")], [movie_entry(2, 20, title="New film"), movie_entry(3, 21)])
    fake.add_fault(Fault(status=500, path=r"^/shows/10/seasons$"))
    fake.add_fault(Fault(status=502, path=r"^/movies/20$"))
    enrich.enrich(config, Options(progress=False, force=True))
    assert report.main([]) == 0
    text = capsys.readouterr().out
    assert (
        "**Kept stale after errors** (1):\n\n- shows MAL 1 'Kept': HTTP 500 on /shows/10/seasons?extended=full\n\n"
        "**Failed, not published yet** (1):\n\n- movies MAL 2 'New film': HTTP 502 on /movies/20\n\n"
    ) in text


def test_discovery_table_has_a_header_over_every_origin_column() -> None:
    """The origins table names each of its columns, `corrected` included: as many headers as cells."""
    counts = {origin: index for index, origin in enumerate(ORIGINS)}
    text = report.render_discovery(None, {"origins": {"tv_ex.json": counts}})
    header, rule, row = (line for line in text.splitlines() if line.startswith("|"))
    assert header == "| file | upstream | override | discovered | corrected | imported |"
    assert header.count("|") == rule.count("|") == row.count("|")
