"""Pydantic validation errors turned into one readable line per problem.

Each line names the file, the field as the user wrote it (``policy.followup.steps[0]``)
and what was expected, with a "did you mean" for typos.
"""

from __future__ import annotations

from difflib import get_close_matches
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from policies.base import REGISTRY, Policy
from sim.config.durations import shown

_NO_DATA = object()
"""Marks a place in the config data that the user did not write."""


def _unwrap(tp: Any, discriminator: str | None = None) -> tuple[Any, str | None]:
    """Strip ``Annotated`` layers, keeping the discriminator of a tagged union if any."""
    while get_origin(tp) is Annotated:
        tp, *metadata = get_args(tp)
        for meta in metadata:
            key = getattr(meta, "discriminator", None)
            if isinstance(key, str):
                discriminator = key
    return tp, discriminator


def _members(tp: Any) -> list[Any]:
    """The alternatives of a union (``None`` left out), or ``[tp]``."""
    if get_origin(tp) in (Union, UnionType):
        return [m for m in get_args(tp) if m is not type(None)]
    return [tp]


def _tags(member: Any, discriminator: str) -> list[str]:
    """The values of *discriminator* that select *member* of a tagged union."""
    fields = getattr(member, "model_fields", {})
    if discriminator not in fields:
        return []
    return [str(tag) for tag in get_args(fields[discriminator].annotation)]


def _union_of(tp: Any, discriminator: str | None) -> tuple[str, list[Any]] | None:
    """``(discriminator, members)`` when *tp* is a tagged union of models."""
    tp, discriminator = _unwrap(tp, discriminator)
    members = _members(tp)
    if len(members) == 1 and members[0] is not tp:  # Optional[Annotated[Union, ...]]
        return _union_of(members[0], discriminator)
    if discriminator and len(members) > 1:
        return discriminator, members
    return None


def _model_of(tp: Any, discriminator: str | None = None) -> type[BaseModel] | None:
    """The pydantic model *tp* stands for (through ``Annotated`` and ``Optional``), if one."""
    tp, _ = _unwrap(tp, discriminator)
    members = _members(tp)
    if len(members) == 1:
        inner, _ = _unwrap(members[0])
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def _concrete_policy(tp: Any, data: Any, default: Any) -> Any:
    """A policy family's base class resolved to the policy the data names (``name:``)."""
    if not (isinstance(tp, type) and issubclass(tp, Policy)) or tp.name:
        return tp
    if isinstance(data, str):
        name = data
    elif isinstance(data, dict):
        name = data.get("name", getattr(default, "name", None))
    else:
        name = getattr(default, "name", None)
    if not isinstance(name, str):
        return tp
    return REGISTRY.get(tp.family, {}).get(name, tp)


class _Place:
    """Where an error's ``loc`` points: the path as the user wrote it, and the types there.

    pydantic's ``loc`` also holds the tags of tagged unions (``lognormal``) and,
    after a shorthand such as ``talk_time: 4m``, fields the user never wrote
    (``value``); both are left out of the path.
    """

    def __init__(self, root: type[BaseModel], data: Any, loc: tuple[int | str, ...]) -> None:
        path = ""
        tp: Any = root
        discriminator: str | None = None
        node: Any = data
        cut = False  # the user wrote a scalar here; deeper fields are pydantic's own
        self.parent: Any = None  # type holding the last field of loc (for unknown fields)
        for part in loc:
            if isinstance(part, str) and part.startswith(("function-", "tagged-union")):
                continue
            union = _union_of(tp, discriminator) if tp is not None else None
            if union and isinstance(part, str):
                key, members = union
                chosen = [m for m in members if part in _tags(m, key)]
                if chosen:  # a tag: same place, now a known member of the union
                    tp, discriminator = chosen[0], None
                    continue
            self.parent = tp
            tp, discriminator, field_default = self._step(tp, discriminator, part)
            child = _NO_DATA
            if isinstance(node, dict):
                child = node.get(part, _NO_DATA)
            elif isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
                child = node[part]
            elif node is not _NO_DATA:
                cut = True
            if not cut:
                path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
            node = child
            tp = _concrete_policy(tp, node, field_default)
        self.path = path or "(top level)"
        self.type = tp
        self.discriminator = discriminator

    @staticmethod
    def _step(tp: Any, discriminator: str | None, part: int | str) -> tuple[Any, str | None, Any]:
        """The type (and discriminator, and field default) one ``loc`` step below *tp*."""
        if tp is None:
            return None, None, None
        model = _model_of(tp, discriminator)
        if model is not None:
            field = model.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None, None, None
            return field.annotation, field.discriminator, field.default
        inner, _ = _unwrap(tp, discriminator)
        members = _members(inner)
        inner = _unwrap(members[0])[0] if len(members) == 1 else inner
        if get_origin(inner) in (list, tuple) and isinstance(part, int):
            args = get_args(inner)
            if get_origin(inner) is tuple and args and args[-1] is not Ellipsis:
                return (args[part] if part < len(args) else None), None, None
            return (args[0] if args else None), None, None
        return None, None, None


def describe_value(value: Any) -> str:
    """A value for an error message: "a mapping", "a list", or its (shortened) repr."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return shown(value)


def _fields(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _unknown_field(key: Any, model: type[BaseModel] | None) -> tuple[str, str | None]:
    """The message for an unknown key, and the field it probably meant."""
    if model is None:
        return "unknown field", None
    allowed = list(model.model_fields)
    close = get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field{hint}; expected one of: {', '.join(allowed)}", (
        close[0] if close else None
    )


def _explain(error: Any, place: _Place) -> str:
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    union = _union_of(place.type, place.discriminator) if place.type is not None else None
    model = _model_of(place.type) if place.type is not None else None
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "")).strip("'")
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {key} {ctx.get('tag')!r}; expected one of: {tags}"
    if kind == "union_tag_not_found":
        key = str(ctx.get("discriminator", "")).strip("'")
        tags = ", ".join(t for m in union[1] for t in _tags(m, key)) if union else ""
        return f"missing the {key!r} key; expected {key}: " + (f"one of: {tags}" if tags else "...")
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        if union:
            key, members = union
            tags = ", ".join(t for m in members for t in _tags(m, key))
            return f"expected a mapping with a {key!r} key (one of: {tags}) and its fields, got {describe_value(got)}"
        if model is not None and issubclass(model, Policy):
            names = ", ".join(sorted(REGISTRY.get(model.family, {})))
            return f"expected a {model.family} policy name ({names}) or a mapping of its parameters, got {describe_value(got)}"
        if model is not None:
            return f"expected a mapping of fields ({_fields(model)}), got {describe_value(got)}"
        return f"expected a mapping of fields, got {describe_value(got)}"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # Say what was found, unless the message already does; a mapping or list is only
    # worth mentioning when its type is the problem.
    mentioned = "got " in message or shown(got) in message
    if not mentioned and (not isinstance(got, dict | list | tuple) or kind.endswith("_type")):
        message += f" (got {describe_value(got)})"
    return message


def format_validation_error(
    error: ValidationError, source: str, root: type[BaseModel], data: Any = _NO_DATA
) -> str:
    """One readable line per problem: ``file: field.path: what was expected``.

    *data* (what was validated) makes paths follow what the user wrote and lets
    unknown policy parameters be checked against the policy the data names.
    """
    items = error.errors()
    # A typo gives two errors: the unknown key and the field it meant, now missing.
    # Report the typo once, with the suggestion, and drop the "missing" error.
    explained: dict[tuple[int | str, ...], str] = {}
    meant: set[tuple[int | str, ...]] = set()
    for item in items:
        if item["type"] == "extra_forbidden":
            loc = item["loc"]
            try:
                parent = _model_of(_Place(root, data, loc).parent)
            except Exception:  # see below
                parent = None
            message, suggestion = _unknown_field(loc[-1], parent)
            explained[loc] = message
            if suggestion is not None:
                meant.add((*loc[:-1], suggestion))
    lines = []
    for item in items:
        loc = item["loc"]
        if item["type"] == "missing" and loc in meant:
            continue
        try:
            place = _Place(root, data, loc)
            message = explained.get(loc) if item["type"] == "extra_forbidden" else None
            message = message or _explain(item, place)
            # Whole-experiment checks name their own fields in the message.
            lines.append(f"{source}: {place.path}: {message}" if loc else f"{source}: {message}")
        except Exception:  # never let the message turn bad input into an internal error
            path = ".".join(str(part) for part in loc) or "(top level)"
            lines.append(f"{source}: {path}: {item['msg']}")
    return "\n".join(dict.fromkeys(lines))
