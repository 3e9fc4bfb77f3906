"""The per-type description of an activity for the OpenAPI document.

`ActivityCreate` validates every entry on the server; the rules of each type (which numbers and
details it takes, which are required) are checked by the services. This module states the same
rules in the document, from the registry of app/activities/types.py: `ActivityCreate` is a union
discriminated by `type` of one schema per type (`BroadcastActivity`, `TrainingActivity`…) holding
the common fields, the type's numbers and a `details` object with the type's texts and choices.
"""
from typing import Any, Literal

from pydantic import ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from app.activities.models import MAX_DETAIL_LENGTH, ActivityCreate
from app.activities.types import COUNTED_COLUMNS, TYPES, ActivityType

REF = "#/components/schemas/{model}"
COMMON = ("id", "title", "status", "start_date", "end_date", "unit_id", "agency_id", "notes", "task_ids", "topics",
          "audiences")


def _name(code: str, suffix: str) -> str:
    return "".join(part.capitalize() for part in code.split("_")) + suffix


def _copy(info: FieldInfo, **changes) -> FieldInfo:
    return FieldInfo.merge_field_infos(info, **changes)


def _details_model(kind: ActivityType):
    fields: dict[str, Any] = {}
    for f in kind.fields:
        if f.kind == "choice":
            choice = Literal[tuple(code for code, _ in f.choices)]  # type: ignore[misc]
            fields[f.name] = (choice, Field(description=f.label)) if f.required else \
                (choice, Field(default=None, description=f.label))
        elif f.kind == "text":
            fields[f.name] = (str, Field(default="", max_length=MAX_DETAIL_LENGTH, description=f.label))
    return create_model(_name(kind.code, "Details"), __config__=ConfigDict(extra="forbid"), **fields)


def _type_model(kind: ActivityType):
    fields: dict[str, Any] = {"type": (Literal[kind.code], Field(description=kind.label))}
    source = ActivityCreate.model_fields
    for name in COMMON:
        fields[name] = (source[name].annotation, _copy(source[name]))
    fields["status"] = (Literal["draft", "submitted"], Field(
        default="draft", description="`submitted` logs and sends for review in one call"))
    required = {f.name for f in kind.fields if f.kind == "int" and f.required}
    for name in sorted(COUNTED_COLUMNS[kind.code]):
        info = source[name]
        if name in required:
            label = next(f.label for f in kind.fields if f.name == name)
            upper = next(m.le for m in info.metadata if hasattr(m, "le"))
            fields[name] = (int, Field(ge=1, le=upper, description=f"{label} (required, at least 1)"))
        else:
            fields[name] = (int, _copy(info))
    details = _details_model(kind)
    needs_details = any(f.required and f.kind != "int" for f in kind.fields)
    fields["details"] = (details, Field(...) if needs_details else Field(default_factory=details))
    return create_model(_name(kind.code, "Activity"), __config__=ConfigDict(extra="forbid"),
                        __doc__=f"{kind.label}: the fields an entry of type `{kind.code}` takes.", **fields)


def activity_schemas() -> dict[str, dict[str, Any]]:
    """Components: `ActivityCreate` (the union) and one schema per type with its details."""
    schemas: dict[str, dict[str, Any]] = {}
    variants, mapping = [], {}
    for kind in TYPES.values():
        model = _type_model(kind)
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        ref = REF.format(model=model.__name__)
        variants.append({"$ref": ref})
        mapping[kind.code] = ref
    schemas["ActivityCreate"] = {
        "title": "ActivityCreate",
        "description": (ActivityCreate.__doc__ or "").strip() + " Each type takes its own numbers and details.",
        "oneOf": variants, "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    return schemas
