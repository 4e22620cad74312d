"""Per-upload analysis options, sent as form fields beside the file."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from videolens.api.errors import ApiError
from videolens.backends import backend_class
from videolens.config import SamplingStrategy, Settings
from videolens.errors import ConfigurationError


class AnalysisOptions(BaseModel):
    """Optional overrides of the server's sampling and vision settings for one video."""

    model_config = ConfigDict(extra="forbid")

    strategy: SamplingStrategy | None = None
    interval_s: float | None = Field(default=None, gt=0, le=3600)
    max_frames: int | None = Field(default=None, ge=1, le=10_000)
    backend: str | None = Field(default=None, min_length=1, max_length=64)
    prompt: str | None = Field(default=None, max_length=2000)


def parse_options(fields: dict[str, str]) -> AnalysisOptions:
    values = {name: value for name, value in fields.items() if value != ""}
    try:
        options = AnalysisOptions.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "options"
        raise ApiError(422, "validation_error", f"{name}: {first['msg']}", field=name) from None
    if options.backend is not None:
        try:
            backend_class(options.backend)
        except ConfigurationError as err:
            raise ApiError(422, "validation_error", str(err), field="backend") from None
    return options


def apply_options(settings: Settings, options: AnalysisOptions) -> Settings:
    """``settings`` with the options given: each is the setting of its name, ``prompt`` the
    ``vision_prompt``."""
    updates = options.model_dump(exclude_none=True)
    if "prompt" in updates:
        updates["vision_prompt"] = updates.pop("prompt")
    return settings.model_copy(update=updates)


OPENAPI_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "strategy": {"type": "string", "enum": [s.value for s in SamplingStrategy]},
                        "interval_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
                        "max_frames": {"type": "integer", "minimum": 1, "maximum": 10000},
                        "backend": {"type": "string"},
                        "prompt": {"type": "string", "maxLength": 2000},
                    },
                }
            }
        },
    }
}
