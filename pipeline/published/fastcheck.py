"""A quick yes for JSON that obeys a schema: the schema compiled once into plain Python checks.

jsonschema descends into every keyword of every entry through its generic machinery; a published
file of 13,000 entries took about a second to validate, most of a warm night's ``validate``. A
compiled check answers "valid" about ten times faster. It knows only the keywords our schemas
use, each checked exactly as jsonschema checks JSON values (``equal`` and the format checker are
jsonschema's own); a schema with any other keyword does not compile (None), and an instance it does
not accept goes to jsonschema, which then finds and words the problems. So a "yes" here is
jsonschema's "yes", and every "no" is jsonschema's to explain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import FormatChecker
from jsonschema._utils import equal, uniq

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "$comment", "examples", "default", "errorMessage"})


PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),  # bool is not int here: type(True) is bool
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


class Unsupported(Exception):
    """A keyword this module does not check: the schema is left to jsonschema alone."""


def compile_schema(schema: Any, formats: FormatChecker | None) -> Check | None:
    """A check for ``schema`` (``$ref``s already inlined), or None when it uses another keyword."""
    try:
        return _compile(schema, formats)
    except Unsupported:
        return None


def _compile(schema: Any, formats: FormatChecker | None) -> Check:
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, Mapping):
        raise Unsupported(repr(schema))
    checks: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in ANNOTATIONS or keyword in ("then", "additionalProperties"):
            continue  # "then" goes with "if"; additionalProperties with properties, below
        checks.append(_keyword(keyword, argument, schema, formats))
    if "additionalProperties" in schema and "properties" not in schema:
        checks.append(_additional(schema["additionalProperties"], frozenset(), formats))
    if len(checks) == 1:
        return checks[0]

    def every(value: Any) -> bool:  # a loop, not all(generator): this runs for every node of every entry
        for check in checks:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return every


def _keyword(keyword: str, argument: Any, schema: Mapping[str, Any], formats: FormatChecker | None) -> Check:
    if keyword == "type":
        return _type([argument] if isinstance(argument, str) else list(argument))
    if keyword == "properties":
        return _properties(argument, schema.get("additionalProperties", True), formats)
    if keyword == "required":
        names = list(argument)
        return lambda value: not isinstance(value, dict) or all(name in value for name in names)
    if keyword == "items":  # the elements after prefixItems (JSON Schema 2020-12)
        item, start = _compile(argument, formats), len(schema.get("prefixItems", ()))
        return lambda value: not isinstance(value, list) or all(item(element) for element in value[start:])
    if keyword == "prefixItems":
        firsts = [_compile(part, formats) for part in argument]
        return lambda value: (
            not isinstance(value, list) or all(check(element) for check, element in zip(firsts, value, strict=False))
        )
    if keyword == "uniqueItems":
        return lambda value: not argument or not isinstance(value, list) or bool(uniq(value))
    if keyword == "maxItems":
        return lambda value: not isinstance(value, list) or len(value) <= argument
    if keyword in ("minimum", "minLength", "minItems"):
        return _minimum(keyword, argument)
    if keyword == "const":
        return lambda value: bool(equal(value, argument))
    if keyword == "enum":
        return lambda value: any(equal(value, each) for each in argument)
    if keyword == "pattern":
        pattern = re.compile(argument)
        return lambda value: not isinstance(value, str) or pattern.search(value) is not None
    if keyword == "format":
        if formats is None:
            return lambda value: True
        return lambda value: formats.conforms(value, argument)
    if keyword in ("allOf", "oneOf", "anyOf", "not", "if"):
        return _combined(keyword, argument, schema, formats)
    raise Unsupported(keyword)


def _type(names: list[str]) -> Check:
    """JSON types as Python types; an integral float is an ``integer`` too, as in jsonschema."""
    if any(name not in PYTHON_TYPES for name in names):
        raise Unsupported(f"type {names}")
    flat = frozenset(kind for name in names for kind in PYTHON_TYPES[name])
    integral = "integer" in names and "number" not in names
    if integral:
        return lambda value: type(value) in flat or (type(value) is float and value.is_integer())
    return lambda value: type(value) in flat


def _minimum(keyword: str, bound: Any) -> Check:
    if keyword == "minimum":
        return lambda value: type(value) not in (int, float) or value >= bound
    if keyword == "minLength":  # code points, as jsonschema counts them
        return lambda value: not isinstance(value, str) or len(value) >= bound
    return lambda value: not isinstance(value, list) or len(value) >= bound


def _properties(properties: Mapping[str, Any], additional: Any, formats: FormatChecker | None) -> Check:
    compiled = {name: _compile(subschema, formats) for name, subschema in properties.items()}
    rest = _additional(additional, frozenset(compiled), formats)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name, item in value.items():
            found = compiled.get(name)
            if found is not None and not found(item):
                return False
        return rest(value)

    return check


def _additional(additional: Any, known: frozenset[str], formats: FormatChecker | None) -> Check:
    if additional is True:
        return lambda value: True
    if additional is False:
        return lambda value: not isinstance(value, dict) or all(name in known for name in value)
    other = _compile(additional, formats)
    return lambda value: (
        not isinstance(value, dict) or all(other(item) for name, item in value.items() if name not in known)
    )


def _combined(keyword: str, argument: Any, schema: Mapping[str, Any], formats: FormatChecker | None) -> Check:
    if keyword == "not":
        inner = _compile(argument, formats)
        return lambda value: not inner(value)
    if keyword == "if":
        condition = _compile(argument, formats)
        then = _compile(schema.get("then", True), formats)
        return lambda value: not condition(value) or then(value)
    parts = [_compile(part, formats) for part in argument]
    if keyword == "allOf":
        return lambda value: all(part(value) for part in parts)
    if keyword == "anyOf":
        return lambda value: any(part(value) for part in parts)
    return lambda value: sum(1 for part in parts if part(value)) == 1  # oneOf
