"""The import's report, in Markdown: per file what was read, carried over, converted, held back and written.

``pipeline.migrate`` prints it after writing the files.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.predecessor.entries import Migration
from pipeline.published.models import NOT_FOUND_FILE, OUTPUT_FILE, STAMP

LISTED = 10  # MAL ids listed per conversion line before "and N more"


def _ids(values: list[int]) -> str:
    shown = ", ".join(str(value) for value in values[:LISTED])
    return f"MAL {shown}" + (f" and {len(values) - LISTED:,} more" if len(values) > LISTED else "")


def upstream_counts(migration: Migration) -> dict[str, tuple[int, int]]:
    """Per file: (entries whose MAL id the upstream list of that kind has, entries it does not)."""
    counts = {}
    for kind, listed in migration.upstream.items():
        listed_ids = {entry["mal_id"] for _, entry in listed.entries}
        for name in (OUTPUT_FILE[kind], NOT_FOUND_FILE[kind]):
            ids = migration.files[name].entries.keys()
            counts[name] = (len(ids & listed_ids), len(ids - listed_ids))
    return counts


def report(migration: Migration, output_dir: Path) -> str:
    provenance = migration.provenance
    lines = [
        f"## Imported {provenance.repository}@{provenance.commit}"
        f" (published {provenance.published.strftime(STAMP)}) into {output_dir}",
        "",
        "| file | read | carried over as is | converted | held back | written |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, found in migration.files.items():
        converted = len(found.changed & found.entries.keys())
        lines.append(
            f"| `{name}` | {found.read:,} | {found.carried:,} | {converted:,} | {len(found.held_back):,}"
            f" | {len(found.entries):,} |"
        )
    lines += ["", "Converted (the published value differs from the predecessor's):", ""]
    lines += [
        f"- `{name}`: {what}: {len(ids):,} ({_ids(sorted(ids))})"
        for name, found in migration.files.items()
        for what, ids in sorted(found.converted.items())
    ] or ["- none"]
    lines += ["", "Held back (not carried over):", ""]
    notes = [note for found in migration.files.values() for note in sorted(found.held_back, key=lambda n: n.position)]
    lines += [f"- {note}" for note in notes] or ["- none"]
    lines += [
        "",
        "Against the upstream lists (upstream's row wins where it has one; an entry it does not list stays,"
        " origin imported, while Trakt answers for it):",
        "",
    ]
    for name, (listed, unlisted) in upstream_counts(migration).items():
        lines.append(f"- `{name}`: {listed:,} listed upstream, {unlisted:,} not (the predecessor's own search)")
    return "\n".join(lines) + "\n"
