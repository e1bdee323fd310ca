"""The one atomic JSON writer and the JSON loaders every step uses."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.published.json_place import nearest_entry


def dumps(data: object) -> str:
    """The published formatting: UTF-8 kept as is, 2-space indent, one trailing newline.

    The bytes of ``json.dumps(data, ensure_ascii=False, indent=2)``, built about three times faster:
    with ``indent`` the standard library encodes in pure Python, one generator step a token, and
    writing the published files was a fifth of a warm enrich. Anything but plain JSON values (str
    keys; str, int, float, bool, None, list, dict) goes to ``json.dumps`` itself.
    """
    try:
        return _indented(data, "") + "\n"
    except (TypeError, ValueError, RecursionError):
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_string = json.encoder.encode_basestring  # the C one where available: what json.dumps uses
_LITERALS: dict[object, str] = {None: "null", True: "true", False: "false"}


def _scalar(value: object) -> str:
    if value is None or value is True or value is False:
        return _LITERALS[value]
    if isinstance(value, str) and type(value) is str:
        return str(_string(value))
    if isinstance(value, int) and type(value) is int:
        return int.__repr__(value)
    if isinstance(value, float) and type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    raise TypeError(type(value))  # NaN, infinities, subclasses, tuples: json.dumps decides


def _indented(value: object, pad: str) -> str:
    if isinstance(value, dict) and type(value) is dict:
        if not value:
            return "{}"
        inner = pad + "  "
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(type(key))
            nested = type(item) is dict or type(item) is list
            parts.append(f"{inner}{_string(key)}: {_indented(item, inner) if nested else _scalar(item)}")
        return "{\n" + ",\n".join(parts) + "\n" + pad + "}"
    if isinstance(value, list) and type(value) is list:
        if not value:
            return "[]"
        inner = pad + "  "
        items = (_indented(item, inner) if type(item) in (dict, list) else _scalar(item) for item in value)
        return "[\n" + ",\n".join(inner + item for item in items) + "\n" + pad + "]"
    return _scalar(value)


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file beside ``path``, flush it to disk, rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)  # same directory, so the swap is atomic


def write_json(path: Path, data: object) -> bool:
    """Write ``data`` atomically; return False (and touch nothing) when the file already holds it."""
    payload = dumps(data).encode("utf-8")
    try:
        if path.read_bytes() == payload:
            return False
    except FileNotFoundError:
        pass
    write_bytes_atomic(path, payload)
    return True


def parse_json(text: str | bytes, where: str, *, name_entry: bool = False) -> Any:
    """Parse JSON text, or fail with a message naming ``where`` and the line and column, and with
    ``name_entry`` the list entry the error is in or after (a file people edit by hand: the line alone is
    hard to find in a long list)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Unterminated string starting at" names a place too
        entry = nearest_entry(exc.doc, exc.pos) if name_entry else None
        after = f"; in or just after entry {entry}" if entry else ""
        raise PipelineError(
            f"{where}: not valid JSON ({reason} at line {exc.lineno}, column {exc.colno}{after})"
        ) from None


def load_json(path: Path, *, missing: Any = None, required: bool = False, name_entry: bool = False) -> Any:
    """Load a JSON file; a missing file gives ``missing`` unless ``required`` (``name_entry``: ``parse_json``'s)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise PipelineError(f"{path}: file not found") from None
        return missing
    except UnicodeDecodeError as exc:
        raise PipelineError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise PipelineError(f"{path}: cannot read the file ({exc.strerror})") from None
    return parse_json(text, str(path), name_entry=name_entry)
