"""Wikidata's SPARQL endpoint: Letterboxd film slugs (P6127) by TMDB movie id (P4947) or IMDb id (P345).

Wikidata is CC0 and answers from a GitHub runner (letterboxd.com itself sits behind Cloudflare and
is never asked). ``query`` builds one batch's SPARQL: a ``VALUES`` clause per id kind, joined to the
Letterboxd film id; ``parse`` reads the answer, in the SPARQL 1.1 Query Results JSON Format
(``{"head": {"vars": [...]}, "results": {"bindings": [{"slug": {"type": "literal", "value": ...}}]}}``).
Wikidata has no Letterboxd short-link id (``lid``) nor numeric id (``uid``): only the slug.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.sources import SourceError, int_or_none

VARIABLE = "WIKIDATA_SPARQL_URL"
WHERE = "Wikidata SPARQL"
_IMDB = re.compile(r"tt\d+")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")  # letterboxd.com/film/{slug}/


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterboxdRow:
    """One film of the answer: its Letterboxd slug and the TMDB or IMDb id it was found by."""

    slug: str
    tmdb: int | None
    imdb: str | None


def query(tmdb: Sequence[int], imdb: Sequence[str]) -> str:
    """The SPARQL of one batch: every film with a Letterboxd id among these TMDB and IMDb ids."""
    parts = []
    imdb = [imdb_id for imdb_id in imdb if _IMDB.fullmatch(imdb_id)]  # nothing else goes into the query
    if tmdb:
        values = " ".join(f'"{int(number)}"' for number in tmdb)  # P4947 is an external id: a string
        parts.append(f"{{ VALUES ?tmdb {{ {values} }} ?film wdt:P4947 ?tmdb . }}")
    if imdb:
        values = " ".join(f'"{imdb_id}"' for imdb_id in imdb)
        parts.append(f"{{ VALUES ?imdb {{ {values} }} ?film wdt:P345 ?imdb . }}")
    return f"SELECT ?slug ?tmdb ?imdb WHERE {{ {' UNION '.join(parts)} ?film wdt:P6127 ?slug . }}"


def _value(binding: dict[str, object], name: str) -> str | None:
    cell = binding.get(name)
    value = cell.get("value") if isinstance(cell, dict) else None
    return value if isinstance(value, str) and value else None


def parse(payload: bytes) -> list[LetterboxdRow]:
    """The rows of a SPARQL JSON answer; a row without a usable slug or id is skipped."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"{WHERE}: the answer is not JSON ({exc}): a truncated answer or an error page (check {VARIABLE})"
        ) from None
    bindings = data.get("results", {}).get("bindings") if isinstance(data, dict) else None
    if not isinstance(bindings, list) or not isinstance(data.get("head"), dict):
        raise SourceError(f"{WHERE}: not a SPARQL JSON result (no head and results.bindings) (check {VARIABLE})")
    rows = []
    for binding in bindings:
        if not isinstance(binding, dict):
            continue
        slug, imdb = _value(binding, "slug"), _value(binding, "imdb")
        tmdb = int_or_none(_value(binding, "tmdb"))
        if slug is None or not _SLUG.fullmatch(slug) or (tmdb is None and imdb is None):
            continue
        rows.append(LetterboxdRow(slug=slug, tmdb=tmdb, imdb=imdb))
    return rows
