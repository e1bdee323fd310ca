"""pipeline.override_diff: the pull-request summary of overrides/, against a temporary git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import PipelineError
from pipeline.override_diff import main, render

TESTER = ["-c", "user.name=Tester", "-c", "user.email=tester@example.com"]
OVERRIDES, UPSTREAM = Path("overrides"), Path(".cache/upstream")
HEADER = "| change | MAL id | MAL title | published now | override | in upstream {} | reason |"
RULE = "| --- | --- | --- | --- | --- | --- | --- |"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *TESTER, *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def override(
    mal_id: int, trakt_id: int, *, season: int | None = 1, kind: str = "shows", reason: str = ""
) -> dict[str, Any]:
    trakt: dict[str, Any] = {"title": f"Trakt {trakt_id}", "id": trakt_id, "type": kind}
    if season is not None:
        trakt["season"] = {"number": season}
    entry: dict[str, Any] = {"myanimelist": {"title": f"Anime {mal_id}", "id": mal_id}, "trakt": trakt}
    if reason:
        entry["description"] = reason
    return entry


def write(repo: Path, relative: str, data: Any) -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose base commit (tagged ``base``) has override_tv.json and no override_movies.json."""
    git(tmp_path, "init", "--quiet", "-b", "main")
    write(tmp_path, "overrides/override_tv.json", [override(1, 100), override(2, 200)])
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "base")
    git(tmp_path, "tag", "base")
    return tmp_path


def test_added_changed_and_removed_ids_with_old_and_new_mapping(repo: Path) -> None:
    """Each changed MAL id is one row: before -> after, whether upstream lists it, and the reason."""
    write(
        repo,
        "overrides/override_tv.json",
        [override(2, 200, season=2, reason="season 2 on Trakt"), override(5, 500, reason="missing upstream")],
    )
    write(repo, "overrides/override_movies.json", [override(9, 900, season=None, kind="movies")])
    write(repo, ".cache/upstream/tv.json", [{"mal_id": 1}, {"mal_id": 2}])

    markdown = render(repo, "base", OVERRIDES, UPSTREAM)

    assert markdown.splitlines() == [
        "## Override changes",
        "",
        "Compared with `base`.",
        "",
        "### `overrides/override_tv.json`: 1 added, 1 changed, 1 removed",
        "",
        HEADER.format("tv.json"),
        RULE,
        "| removed | 1 | Anime 1 | not published | — (upstream's mapping applies again) | yes |  |",
        "| changed | 2 | Anime 2 | not published | shows 200 season 2 “Trakt 200” | yes | season 2 on Trakt |",
        "| added | 5 | Anime 5 | not published | shows 500 season 1 “Trakt 500” | no (the override adds it) "
        "| missing upstream |",
        "",
        "### `overrides/override_movies.json`: 1 added, 0 changed, 0 removed",
        "",
        HEADER.format("movies.json"),
        RULE,
        "| added | 9 | Anime 9 | not published | movies 900 “Trakt 900” | not known: `uv run python -m pipeline.fetch"
        " --no-sources` downloads upstream's lists |  |",
    ]


def published_show(mal_id: int, trakt_id: int, season: int, origin: str = "upstream") -> dict[str, Any]:
    trakt = {
        "title": f"Trakt {trakt_id}",
        "id": trakt_id,
        "type": "shows",
        "season": {"number": season},
        "episodes": {"season": season, "offset": 0},
    }
    return {"myanimelist": {"title": f"Anime {mal_id}", "id": mal_id}, "trakt": trakt, "origin": origin}


def test_published_now_shows_what_output_publishes(repo: Path) -> None:
    """The row shows the entry output/ publishes now (with its origin), and upstream's listing from that origin."""
    write(repo, "output/tv_ex.json", [published_show(7, 700, 2)])
    write(repo, "output/not_exist_tv_ex.json", [{"mal_id": 8, "title": "Anime 8"}])
    write(repo, "overrides/override_tv.json", [override(1, 100), override(2, 200), override(7, 700), override(8, 800)])
    rows = [line for line in render(repo, "base", OVERRIDES, UPSTREAM).splitlines() if line.startswith("| added")]
    assert rows == [
        "| added | 7 | Anime 7 | shows 700 season 2 “Trakt 700” (upstream) | shows 700 season 1 “Trakt 700” "
        "| yes (published from upstream: upstream) |  |",
        "| added | 8 | Anime 8 | not found on Trakt (`not_exist_tv_ex.json`) | shows 800 season 1 “Trakt 800” "
        "| not known: `uv run python -m pipeline.fetch --no-sources` downloads upstream's lists |  |",
    ]


def test_an_override_on_another_published_mal_ids_season_is_a_warning(repo: Path) -> None:
    """Putting a MAL id on the show, season and episodes another MAL id is published on is flagged."""
    write(repo, "output/tv_ex.json", [published_show(7, 700, 1), published_show(8, 700, 2)])
    write(repo, "overrides/override_tv.json", [override(1, 100), override(2, 200), override(8, 700, season=1)])
    markdown = render(repo, "base", OVERRIDES, UPSTREAM)
    assert (
        "> - MAL 8: the override puts it on show 700 season 1 from episode 1, where MAL 7 is published or" in markdown
    )


def test_a_second_cour_override_is_shown_with_its_episodes_and_no_warning(repo: Path) -> None:
    """season null + episodes {1, 12}: shown as a split cour from episode 13, and not taken for MAL 7's place."""
    write(repo, "output/tv_ex.json", [published_show(7, 700, 1)])
    second = override(8, 700, season=None)
    second["trakt"]["season"] = None
    second["trakt"]["episodes"] = {"season": 1, "offset": 12}
    write(repo, "overrides/override_tv.json", [override(1, 100), override(2, 200), second])
    markdown = render(repo, "base", OVERRIDES, UPSTREAM)
    assert "| shows 700 split cour, episodes: season 1 from episode 13 “Trakt 700” |" in markdown
    assert "[!WARNING]" not in markdown


def test_a_season_0_override_says_what_it_means(repo: Path) -> None:
    """A specials override without episodes is explained: the whole of season 0, and how to name one special."""
    write(repo, "overrides/override_tv.json", [override(1, 100), override(2, 200), override(3, 300, season=0)])
    markdown = render(repo, "base", OVERRIDES, UPSTREAM)
    assert "shows 300 season 0 (specials) “Trakt 300”" in markdown
    assert "> - MAL 3: season 0 is all of Trakt's specials: MAL episode n is published as special n." in markdown


def test_no_change_says_so(repo: Path) -> None:
    assert render(repo, "base", OVERRIDES, UPSTREAM).splitlines()[-1] == (
        "No override changes: `overrides/` is the same as at `base`."
    )


def test_file_missing_in_the_working_tree_removes_every_entry(repo: Path) -> None:
    (repo / "overrides" / "override_tv.json").unlink()
    markdown = render(repo, "base", OVERRIDES, UPSTREAM)
    assert "### `overrides/override_tv.json`: 0 added, 0 changed, 2 removed" in markdown


def test_pipe_in_a_title_does_not_break_the_table(repo: Path) -> None:
    entry = override(3, 300)
    entry["myanimelist"]["title"] = "Fate|Zero"
    write(repo, "overrides/override_tv.json", [override(1, 100), override(2, 200), entry])
    assert "| added | 3 | Fate\\|Zero |" in render(repo, "base", OVERRIDES, UPSTREAM)


def test_unknown_base_ref_fails_with_what_to_do(repo: Path) -> None:
    with pytest.raises(PipelineError, match=r"unknown ref 'origin/nope': fetch it first"):
        render(repo, "origin/nope", OVERRIDES, UPSTREAM)


def test_entry_without_integer_mal_id_names_file_and_entry(repo: Path) -> None:
    write(repo, "overrides/override_tv.json", [override(1, 100), {"myanimelist": {"id": "two"}}])
    with pytest.raises(PipelineError, match=r"^overrides/override_tv.json: \$\[1\].myanimelist.id: missing"):
        render(repo, "base", OVERRIDES, UPSTREAM)


def test_main_prints_markdown_for_the_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    write(repo, "overrides/override_tv.json", [override(1, 100)])

    assert main(["--base-ref", "base", "--repo", str(repo)]) == 0

    assert "### `overrides/override_tv.json`: 0 added, 0 changed, 1 removed" in capsys.readouterr().out


def test_main_exits_1_with_one_line_on_a_bad_ref(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base-ref", "nope", "--repo", str(repo)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
