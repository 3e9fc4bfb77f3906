"""What every request model of the API shares: an unknown key is refused (`extra="forbid"`, code
`unknown_field`), while the read-only fields of a record read from the API are ignored, so that a
client may send back what it read with its changes."""
from collections.abc import Callable
from typing import Any

from pydantic import ConfigDict, model_validator

STRICT = ConfigDict(extra="forbid")


def read_only_ignored(public: Callable[[], type]) -> Any:
    """A before-validator for a request model: keys of the record model (`public()`, resolved when
    first used) that the request model does not take are dropped before validation."""
    def drop(cls, value: Any) -> Any:
        if isinstance(value, dict):
            known = public().model_fields
            return {k: v for k, v in value.items() if k in cls.model_fields or k not in known}
        return value
    return model_validator(mode="before")(classmethod(drop))
