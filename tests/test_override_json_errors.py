"""A syntax error in an override file names the entry nearest to it (position and MAL id), not only the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.overrides import check_overrides

ENTRY = (
    '  {{"myanimelist": {{"title": "A \\"[x\\"", "id": {mal}}}, '
    '"trakt": {{"title": "T", "id": 5, "type": "movies"}}{tail}}}'
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a trailing comma after the last entry
            "[\n" + ENTRY.format(mal=1916, tail="") + ",\n" + ENTRY.format(mal=20, tail="") + ",\n]\n",
            "(Expecting value at line 4, column 1; in or just after entry $[1] (MAL id 20))",
        ),
        (  # a trailing comma inside the first entry
            "[\n" + ENTRY.format(mal=1916, tail=",") + ",\n" + ENTRY.format(mal=20, tail="") + "\n]\n",
            "(Expecting property name enclosed in double quotes at line 2, column 105; in or just after entry $[0]"
            " (MAL id 1916))",
        ),
    ],
)
def test_a_trailing_comma_names_the_entry(workdir: Path, text: str, expected: str) -> None:
    (workdir / "overrides" / "override_movies.json").write_text(text, encoding="utf-8")
    (problem,) = check_overrides(workdir / "overrides")[0]
    assert problem == f"{workdir / 'overrides' / 'override_movies.json'}: not valid JSON {expected}"
