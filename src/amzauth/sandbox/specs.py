"""The control API's request bodies, shared by its handlers and its OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FaultSpec(BaseModel):
    """A fault to inject: which requests it matches and what they get instead."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(None, description="Amazon host to match (any when absent)")
    path: str | None = Field(None, description="Amazon path to match; a trailing * matches a prefix")
    method: str | None = Field(None, description="HTTP method to match")
    status: int | None = Field(None, ge=100, le=599, description="status to answer")
    error: str | None = Field(None, description="OAuth error / API code or reason in the answer")
    error_description: str | None = None
    retry_after: int | None = Field(None, ge=0, description="Retry-After header, seconds")
    delay_ms: int = Field(0, ge=0, le=600_000, description="wait this long first")
    drop: bool = Field(False, description="close the connection without an answer")
    times: int = Field(1, ge=-1, description="how many matching requests it affects; -1 for all")
    body: str | None = Field(None, description="raw body to answer instead of the built one")
    content_type: str | None = None
    headers: dict[str, str] = Field(default_factory=dict, description="extra answer headers")


class RevokeSpec(BaseModel):
    """Revoke a seller's authorization(s) in place, keeping issued tokens (which then fail as revoked)."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = None
    selling_partner_id: str | None = None
    application_id: str | None = None


class ClockSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offset_seconds: float = Field(
        ge=-3e9, le=3e9, description="sandbox clock = real time + offset (±95 years)"
    )


__all__ = ["ClockSpec", "FaultSpec", "RevokeSpec"]
