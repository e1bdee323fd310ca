"""The one atomic JSON writer and the JSON loaders every step uses."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError


def dumps(data: object) -> str:
    """The published formatting: UTF-8 kept as is, 2-space indent, one trailing newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


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


def parse_json(text: str | bytes, where: str) -> Any:
    """Parse JSON text, or fail with a message naming ``where`` and the line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Unterminated string starting at" names a place too
        raise PipelineError(f"{where}: not valid JSON ({reason} at line {exc.lineno}, column {exc.colno})") from None


def load_json(path: Path, *, missing: Any = None, required: bool = False) -> Any:
    """Load a JSON file; a missing file gives ``missing`` unless ``required``."""
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
    return parse_json(text, str(path))
