"""Loading ``schemas/`` into one local registry, and turning jsonschema errors into one-line messages."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from pipeline.config import SCHEMAS_DIR
from pipeline.published import fastcheck

if TYPE_CHECKING:
    from referencing._core import Resolver
from pipeline.published.jsonio import load_json

# Published or read file name -> the schema file (in schemas/) that describes it.
SCHEMA_FOR: dict[str, str] = {
    "tv_ex.json": "tv_ex.schema.json",
    "movies_ex.json": "movies_ex.schema.json",
    "not_exist_tv_ex.json": "not_exist.schema.json",
    "not_exist_movies_ex.json": "not_exist.schema.json",
    "override_tv.json": "override.schema.json",
    "override_movies.json": "override.schema.json",
    "meta.json": "meta.schema.json",
    "tv.json": "upstream-tv.schema.json",
    "movies.json": "upstream-movies.schema.json",
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHORT = 80  # longest value repr a message quotes in full
_TYPES = Draft202012Validator.TYPE_CHECKER


def _schema_files() -> list[Path]:
    return sorted(SCHEMAS_DIR.glob("*.schema.json"))


@functools.cache
def _loaded() -> tuple[Registry[Any], dict[str, str]]:
    """Every schema file as a resource under its ``$id``; no retrieval, so a ``$ref`` never leaves it."""
    resources: list[tuple[str, Resource[Any]]] = []
    uris: dict[str, str] = {}
    for path in _schema_files():
        contents = load_json(path, required=True)
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        uri = resource.id() or path.resolve().as_uri()
        resources.append((uri, resource))
        uris[path.name] = uri
    return Registry().with_resources(resources).crawl(), uris


def _uri(schema_name: str) -> str:
    """The ``$id`` of a schema file, named directly or by the file it describes (see SCHEMA_FOR)."""
    uris = _loaded()[1]
    name = SCHEMA_FOR.get(schema_name, schema_name)
    if name not in uris:
        choices = ", ".join(sorted(uris))
        raise ValueError(f"no schema {schema_name!r} in {SCHEMAS_DIR}; choose one of: {choices}")
    return uris[name]


ANNOTATIONS = ("description", "title", "$comment", "examples")


def _inline(node: Any, resolver: Resolver[Any]) -> Any:
    """``node`` with every ``$ref`` replaced by what it points to (the schemas have no cycles).

    jsonschema resolves a ``$ref`` through the registry each time it meets one, for every entry of a
    list: inlined, a 5,000-entry output file validates about three times faster. Annotations beside a
    ``$ref`` (a description) do not validate anything, so they are dropped rather than kept beside an
    ``allOf`` that would cost a descent per entry.
    """
    if isinstance(node, list):
        return [_inline(item, resolver) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        resolved = resolver.lookup(node["$ref"])
        target = _inline(resolved.contents, resolved.resolver)
        siblings = {key: _inline(value, resolver) for key, value in node.items() if key not in ("$ref", *ANNOTATIONS)}
        return {**siblings, "allOf": [target]} if siblings else target
    return {
        key: value if key in ("const", "enum", "default", "examples") else _inline(value, resolver)
        for key, value in node.items()
        if key != "$defs"
    }


@functools.cache
def validator(schema_name: str, pointer: str = "") -> Draft202012Validator:
    """A validator for a schema file, or for the part of it at ``pointer`` (e.g. ``"/$defs/entry"``)."""
    registry, _ = _loaded()
    uri = _uri(schema_name)
    resolved = registry.resolver().lookup(f"{uri}#{pointer}")  # fails now on a mistyped pointer
    schema = _inline(resolved.contents, resolved.resolver)
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def quick_check(schema_name: str, pointer: str = "") -> fastcheck.Check | None:
    """``validator``'s schema compiled into plain checks (``pipeline.published.fastcheck``); None when it cannot be."""
    checking = validator(schema_name, pointer)
    return fastcheck.compile_schema(checking.schema, checking.format_checker)


def json_path(path: Iterable[object]) -> str:
    """``$`` followed by ``[i]`` for list positions and ``.key`` (or ``["odd key"]``) for object keys."""
    parts = ["$"]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(str(part)):
            parts.append(f".{part}")
        else:
            parts.append(f"[{json.dumps(str(part), ensure_ascii=False)}]")
    return "".join(parts)


def _path_key(path: Iterable[object]) -> tuple[tuple[int, int, str], ...]:
    """Sorts list positions numerically and before object keys."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHORT else f"{text[: _SHORT - 3]}..."


def _rank(error: ValidationError) -> tuple[int, bool, bool]:
    """Lower is better: deeper in the instance, not itself an anyOf/oneOf, in a schema of the right type."""
    schema = error.schema
    types = _as_list(schema.get("type", [])) if isinstance(schema, dict) else []
    fits = any(_TYPES.is_type(error.instance, str(t)) for t in types) if types else True
    return (-len(error.path), error.validator in ("anyOf", "oneOf"), not fits)


def _best(error: ValidationError) -> list[ValidationError]:
    """The alternatives' errors that rank best (for anyOf/oneOf)."""
    top = min(_rank(alternative) for alternative in error.context)
    return [alternative for alternative in error.context if _rank(alternative) == top]


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors worth reporting: for anyOf/oneOf, all errors of the alternative that got furthest.

    When alternatives tie (``"x"`` is neither null nor an object), the anyOf/oneOf error itself is
    kept, and its message names what each alternative wanted.
    """
    if not error.context:
        return [error]
    branches = {alternative.relative_schema_path[0] for alternative in _best(error)}
    if len(branches) > 1:
        return [error]
    (branch,) = branches
    chosen = [alternative for alternative in error.context if alternative.relative_schema_path[0] == branch]
    return [leaf for alternative in chosen for leaf in _leaves(alternative)]


def _message(error: ValidationError) -> str:
    schema = error.schema
    if isinstance(schema, dict) and isinstance(schema.get("errorMessage"), str):
        return str(schema["errorMessage"])  # the schema's own words (the ajv-errors convention)
    if error.validator == "const":
        return f"expected {error.validator_value!r}, got {_short(error.instance)}"
    if error.validator == "not" and error.validator_value in (True, {}):
        return "not allowed here"
    if error.context:
        best = _best(error)
        if all(alternative.validator == "type" for alternative in best):
            types = " or ".join(repr(t) for alternative in best for t in _as_list(alternative.validator_value))
            return f"{_short(error.instance)} is not of type {types}"
        reasons = "; ".join(sorted({_message(alternative) for alternative in best}))
        return f"{_short(error.instance)} matches none of the allowed forms ({reasons})"
    full = repr(error.instance)
    if len(full) > _SHORT and error.message.startswith(full):  # jsonschema quotes the whole value
        return _short(error.instance) + error.message[len(full) :]
    return error.message


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def problems(
    instance: object, schema_name: str, *, where: str, pointer: str = "", at: Sequence[object] = ()
) -> list[str]:
    """One ``<where>: <JSON path>: <what is wrong>`` line per schema violation, sorted by path.

    ``schema_name`` is a schema file (``"override.schema.json"``) or a file it describes
    (``"override_tv.json"``); ``pointer`` picks a part of it, e.g. ``"/$defs/entry"`` for one entry,
    and ``at`` is where ``instance`` sits in its file (``[12]`` for the 13th entry), for the paths.
    """
    quick = quick_check(schema_name, pointer)
    if quick is not None and quick(instance):  # the common case, about ten times faster
        return []
    found: set[tuple[tuple[tuple[int, int, str], ...], str]] = set()
    for error in validator(schema_name, pointer).iter_errors(instance):
        for leaf in _leaves(error):
            path = [*at, *leaf.absolute_path]
            found.add((_path_key(path), f"{where}: {json_path(path)}: {_message(leaf)}"))
    return [message for _, message in sorted(found)]


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def check_schemas() -> list[str]:
    """Problems with the schema files themselves: invalid schemas, missing ids or docs, dangling refs."""
    found: list[str] = []
    registry, uris = _loaded()
    for path in _schema_files():
        where = f"schemas/{path.name}"
        schema = registry.contents(uris[path.name])
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            found.append(f"{where}: {json_path(exc.absolute_path)}: {exc.message}")
        for key in ("$id", "title", "description"):
            if not isinstance(schema, dict) or not schema.get(key):
                found.append(f"{where}: has no {key}")
        resolver = registry.resolver(base_uri=uris[path.name])
        for ref in _refs(schema):
            try:
                resolver.lookup(ref)
            except Unresolvable:
                found.append(f"{where}: $ref {ref!r} does not resolve to a schema in schemas/")
    if len(set(uris.values())) < len(uris):
        found.append("schemas/: two schema files share one $id; each needs its own")
    for name, schema_file in SCHEMA_FOR.items():
        if schema_file not in uris:
            found.append(f"SCHEMA_FOR[{name!r}]: schemas/{schema_file} does not exist")
    return found
