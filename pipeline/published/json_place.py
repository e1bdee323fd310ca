"""Which entry of a JSON list a syntax error is in or after, so the message names the entry, not only the line.

A trailing comma or a missing quote in an override file is reported by the parser at a line and column;
a person editing a long list wants the entry (``$[3]``) and its MAL id, which this finds by scanning the
text up to the error with a small bracket counter (strings skipped).
"""

from __future__ import annotations

import re

MAL_ID = re.compile(r'"myanimelist"\s*:\s*\{[^{}]*?"id"\s*:\s*(\d+)|"mal_id"\s*:\s*(\d+)')


def _entry_starts(text: str, end: int) -> list[int]:
    """Offsets where each element of the top-level list starts, up to ``end``; [] when the top is not a list."""
    starts: list[int] = []
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text[:end]):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if depth == 0 and char == "{":
            return []  # an object at the top: no entries to name
        if char in '"[{' and depth == 1:
            starts.append(index)  # inside the top-level list, every string, list or object is an element
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return starts


def nearest_entry(text: str, position: int) -> str | None:
    """``$[3] (MAL id 1916)``: the list element the error at ``position`` is in or follows; None outside a list."""
    starts = _entry_starts(text, position)
    if not starts:
        return None
    found = MAL_ID.search(text, starts[-1], position)
    mal_id = next((group for group in found.groups() if group), None) if found else None
    return f"$[{len(starts) - 1}]" + (f" (MAL id {mal_id})" if mal_id else "")
