"""The three mapping-source parsers, on real rows (pipeline/demo/data/sources/) and on broken files."""

from __future__ import annotations

import pytest

from pipeline.demo.fake_trakt import SOURCES
from pipeline.sources import SourceError, anime_ids, anime_lists, shinkro


def test_anime_lists_reads_tvdb_and_tmdb_ids_and_seasons() -> None:
    """Seikai no Monshou (AniDB 1): TVDB 72025 season 1 and TMDB tv 26209 season 1."""
    rows = {row.anidb_id: row for row in anime_lists.parse((SOURCES / anime_lists.FILE).read_bytes())}
    first = rows[1]
    assert (first.tvdb_id, first.tvdb_season, first.tmdb_tv, first.tmdb_season) == (72025, 1, 26209, 1)
    assert first.name == "Seikai no Monshou" and not first.tvdb_absolute and first.tmdb_movies == ()


def test_anime_lists_keeps_the_word_of_a_movie_and_marks_absolute_numbering() -> None:
    rows = {row.anidb_id: row for row in anime_lists.parse((SOURCES / anime_lists.FILE).read_bytes())}
    mononoke = rows[7]
    assert (mononoke.tvdb_id, mononoke.tvdb_label, mononoke.imdb_ids) == (None, "movie", ("tt0119698",))
    naruto = rows[239]
    assert naruto.tvdb_absolute and naruto.tmdb_absolute
    assert (naruto.tvdb_season, naruto.tmdb_season, naruto.tmdb_tv) == (None, None, 46260)


def test_anime_ids_splits_several_mal_ids_and_reads_absolute_seasons() -> None:
    rows = {row.anidb_id: row for row in anime_ids.parse((SOURCES / anime_ids.FILE).read_bytes())}
    assert rows[6367].mal_ids == (849, 4382)
    assert rows[9826].mal_ids == (18397, 25781, 36106) and rows[9826].tvdb_season == 0
    assert rows[1].mal_ids == (290,) and (rows[1].tvdb_id, rows[1].tvdb_season) == (72025, 1)
    absolute = [row for row in rows.values() if row.tvdb_absolute]
    assert absolute and all(row.tvdb_season is None for row in absolute)


def test_shinkro_reads_mal_keyed_rows_and_multi_season_mappings() -> None:
    rows = {row.mal_id: row for row in shinkro.parse((SOURCES / shinkro.FILE).read_bytes())}
    bebop = rows[1]
    assert (bebop.title, bebop.type, bebop.tvdb_id, bebop.tvdb_season) == ("Cowboy Bebop", "tv", 76885, 1)
    assert rows[5].type == "movie"
    assert rows[20].uses_mapping and not bebop.uses_mapping  # Naruto spreads over several TVDB seasons


@pytest.mark.parametrize(
    ("module", "payload", "message"),
    [
        (anime_lists, b"<!DOCTYPE html><html><body>504", "anime-list-master.xml: not XML"),
        (
            anime_lists,
            b'<?xml version="1.0"?>\n<anime-list>\n  <anime anidbid="1" tvdbid=',
            "anime-list-master.xml: not XML",
        ),
        (anime_lists, b"<html><body>Gateway Timeout</body></html>", "anime-list-master.xml: root element is <html>"),
        (anime_lists, b"<anime-list></anime-list>", "anime-list-master.xml: no <anime> rows (check ANIME_LISTS_URL)"),
        (anime_ids, b'{"1": {"mal_id": 29', "anime_ids.json: not JSON"),
        (anime_ids, b"[]", "anime_ids.json: expected a non-empty JSON object keyed by AniDB id (check ANIME_IDS_URL)"),
        (shinkro, b"AnimeMap:\n    - malid: [1\n", "tvdb-mal.yaml: not YAML"),
        (shinkro, b"<html>404: Not Found</html>", "tvdb-mal.yaml: no AnimeMap list (check SHINKRO_TVDB_URL)"),
    ],
)
def test_a_broken_source_file_is_an_error_naming_file_and_variable(
    module: object, payload: bytes, message: str
) -> None:
    with pytest.raises(SourceError) as caught:
        module.parse(payload)  # type: ignore[attr-defined]
    assert str(caught.value).startswith(message)
    assert f"check {module.VARIABLE}" in str(caught.value)  # type: ignore[attr-defined]
