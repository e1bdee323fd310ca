"""The README and docs/: every relative link resolves, to a file of the checkout and a heading in it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from pipeline import repository

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / ".github" / "pull_request_template.md"])
LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# GitHub's routes that a relative link from the README may name (resolved against /<owner>/<repo>/blob/main/).
ISSUE_FORM = re.compile(r"^\.\./\.\./issues/new\?template=(?P<form>[\w.-]+)$")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but - and _ dropped, spaces made -."""
    text = re.sub(r"`|\*\*|\*", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def prose(text: str) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        if match := re.match(r"^#{1,6} (.+)$", line):
            base = slug(match.group(1))
            name, n = base, 1
            while name in found:  # GitHub numbers repeated headings: x, x-1, x-2
                name, n = f"{base}-{n}", n + 1
            found.add(name)
    return found


def links(page: Path) -> list[str]:
    return LINK.findall(prose(page.read_text(encoding="utf-8")))


def problem(page: Path, target: str) -> str | None:
    """Why ``target``, linked from ``page``, does not resolve; None when it does."""
    if re.match(r"^[a-z]+:", target):
        return None  # https:, mailto: ... are outside the checkout
    if form := ISSUE_FORM.match(target):
        exists = (ROOT / ".github" / "ISSUE_TEMPLATE" / form["form"]).is_file()
        return None if exists and page == ROOT / "README.md" else f"no issue form {form['form']}"
    path_part, _, anchor = target.partition("#")
    path = (page.parent / unquote(path_part)).resolve() if path_part else page
    if not path.is_relative_to(ROOT):
        return "points outside the checkout"
    if not path.exists():
        return "no such file"
    if anchor and path.suffix == ".md" and anchor not in anchors(path):
        return f"no heading #{anchor} in {path.relative_to(ROOT)}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    broken = [f"{target}: {why}" for target in links(page) if (why := problem(page, target))]
    assert broken == []


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = {(ROOT / target.partition("#")[0]).resolve() for target in links(ROOT / "README.md")}
    assert [p.name for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in readme] == []


def test_the_checker_finds_a_broken_file_a_broken_anchor_and_a_link_outside(tmp_path: Path) -> None:
    """The checker itself: a missing file, a heading that is not there and a path out of the checkout fail."""
    page = ROOT / "docs" / "format.md"
    assert problem(page, "nowhere.md") == "no such file"
    assert problem(page, "../README.md#no-such-heading") == "no heading #no-such-heading in README.md"
    assert problem(page, "../../elsewhere.md") == "points outside the checkout"
    assert problem(page, "#every-key-of-a-tv-entry") is None
    assert problem(ROOT / "README.md", "../../issues/new?template=nope.yml") == "no issue form nope.yml"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Where an entry comes from: `origin`", "where-an-entry-comes-from-origin"),
        ("Is the nightly alive? (status.json)", "is-the-nightly-alive-statusjson"),
        ("Corrections of upstream's seasons", "corrections-of-upstreams-seasons"),
        ("Moving from the predecessor", "moving-from-the-predecessor"),
    ],
)
def test_anchors_are_githubs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_the_readme_answers_a_newcomers_first_questions() -> None:
    """The URL of tv_ex.json and what is_split_cour and episodes mean are in the README itself."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"https://raw.githubusercontent.com/{repository.configured()}/main/output/tv_ex.json" in readme
    assert re.search(r'"is_split_cour": true.*"season": null', readme, re.S)
    assert "MAL episode n is episode n + offset" in readme
    assert "uv run python -m pipeline --demo" in readme and "uv run pytest" in readme


def test_the_local_fake_recipe_runs_word_for_word(tmp_path: Path) -> None:
    """docs/running.md's fake-Trakt recipe, run as written (on a free port, in a copy of the checkout), publishes."""
    text = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
    section = text.split("## Running against a local fake Trakt", 1)[1]
    recipe = re.search(r"```sh\n(.*?)```", section, re.S)
    assert recipe, "no sh block in 'Running against a local fake Trakt'"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = recipe[1].replace("8765", str(port)).replace("uv run python", f"'{sys.executable}'")
    script = script.replace(" &", " >fake.log 2>&1 &\nsleep 3", 1)  # the fake in the background, given time to bind
    checkout = tmp_path / "checkout"
    for part in ("pipeline", "schemas", "overrides", "output"):
        shutil.copytree(ROOT / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAKT_", "ANITRAKT_", "ANIME_", "SHINKRO_"))}
    env.pop("GITHUB_STEP_SUMMARY", None)
    result = subprocess.run(
        ["bash", "-c", f"set -e\ntrap 'kill %1' EXIT\n{script}"],
        cwd=checkout,
        env={**env, "PYTHONPATH": str(checkout)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "validate: 5 output files and 2 override files valid" in result.stderr


def test_overrides_page_documents_the_summary_and_the_demo_preview() -> None:
    """docs/overrides.md names the pull-request summary's command, its published-now column, and the demo preview."""
    text = (ROOT / "docs" / "overrides.md").read_text(encoding="utf-8")
    assert "uv run python -m pipeline.override_diff --base-ref origin/main" in text
    assert "**publishes now**" in text
    assert "`uv run python -m pipeline --demo` publishes your overrides" in text
    assert '"season": null' in text and '"episodes": {"season": 1' in text  # a second cour, as the template's example
    assert "season 0" in text and "**specials**" in text


def test_maintaining_tells_what_to_do_for_every_step_the_nightly_can_fail_at() -> None:
    """Every step id of the nightly's data job (status.json's failed_step) has a row in docs/maintaining.md's table."""
    nightly = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly.yml").read_text(encoding="utf-8"))
    ids = {step["id"] for job in nightly["jobs"].values() for step in job.get("steps", []) if "id" in step}
    text = (ROOT / "docs" / "maintaining.md").read_text(encoding="utf-8")
    table = text.split("### What to do when a step failed", 1)[-1].split("\n\n**", 1)[0]
    rows = {
        cell
        for line in table.splitlines()
        if line.startswith("| `")
        for cell in re.findall(r"`([\w-]+)`", line.split("|")[1])
    }
    assert ids - rows == set()
    assert "`discover`" in text.split("`failed_step` the id of the first step that failed", 1)[1][:200]


def test_readme_says_what_the_committed_data_is_before_the_files_table() -> None:
    """Above the files table, the README says the data is the import until the first nightly, and where meta says so."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    before_table = text.split("## The files", 1)[1].split("| file |", 1)[0]
    assert "Until the first nightly" in before_table and '`"built_by": "import"`' in before_table


def test_format_tells_an_unchecked_entry_from_one_without_a_single_season_answer() -> None:
    """docs/format.md and the TV schema say what episodes null means with and without origin imported; built_by too."""
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    assert "**not checked yet**" in text and "**no single-season answer**" in text
    assert "| `built_by` |" in text
    schema = (ROOT / "schemas" / "tv_ex.schema.json").read_text(encoding="utf-8")
    assert "not checked yet" in schema and "no single-season answer" in schema
