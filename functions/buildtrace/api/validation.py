"""Request bodies checked against small JSON schemas (the same ones the OpenAPI document
publishes), with a 400 that names the field: ``{"error": {"code": 400, "message": "...",
"field": "points.old[1]"}}``."""

from __future__ import annotations

import re

from .errors import bad_request

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
          "array": list, "object": dict}


def validate(schema: dict, value, field: str = "") -> None:
    """Raise a 400 ApiError when ``value`` does not fit ``schema`` (a JSON Schema subset:
    type, required, properties, additionalProperties false, items, enum, min/max,
    minLength/maxLength, minItems/maxItems, format email, pattern, oneOf of objects)."""
    where = field or "body"
    if "oneOf" in schema:
        errors = []
        for option in schema["oneOf"]:
            try:
                validate(option, value, field)
                return
            except Exception as exc:  # noqa: BLE001 - collect and report the first
                errors.append(exc)
        raise errors[0]
    t = schema.get("type")
    if t:
        ok = isinstance(value, _TYPES[t]) and not (t in ("integer", "number")
                                                   and isinstance(value, bool))
        if not ok:
            raise bad_request(f"{where} must be {'an' if t[0] in 'aeiou' else 'a'} {t}", where)
    if "enum" in schema and value not in schema["enum"]:
        raise bad_request(f"{where} must be one of {', '.join(map(str, schema['enum']))}", where)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise bad_request(f"{where} must not be empty" if schema.get("minLength") == 1
                              else f"{where} is too short", where)
        if len(value) > schema.get("maxLength", 10 ** 9):
            raise bad_request(f"{where} is longer than {schema['maxLength']} characters", where)
        if schema.get("format") == "email" and not _EMAIL.match(value):
            raise bad_request(f"{where} is not an email address", where)
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            raise bad_request(f"{where} has characters that are not allowed", where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < schema.get("minimum", float("-inf")):
            raise bad_request(f"{where} must be at least {schema['minimum']}", where)
        if value > schema.get("maximum", float("inf")):
            raise bad_request(f"{where} must be at most {schema['maximum']}", where)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            raise bad_request(f"{where} needs at least {schema['minItems']} items", where)
        if len(value) > schema.get("maxItems", 10 ** 9):
            raise bad_request(f"{where} takes at most {schema['maxItems']} items", where)
        for i, item in enumerate(value):
            if "items" in schema:
                validate(schema["items"], item, f"{where}[{i}]")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                raise bad_request(f"{name} is required", _join(field, name))
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            for name in value:
                if name not in props:
                    raise bad_request(f"unknown field {name}", _join(field, name))
        for name, sub in props.items():
            if name in value:
                validate(sub, value[name], _join(field, name))


def _join(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name
