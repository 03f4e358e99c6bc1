"""Inputs of the placement domain, validated at the boundary (forms and JSON alike)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["shadowing", "internship", "project", "job"]
Visibility = Literal["hidden", "applied", "employers"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def split_list(value: Any) -> Any:
    """Forms send lists as comma- or newline-separated text; JSON sends lists."""
    if isinstance(value, str):
        parts = value.replace("\n", ",").split(",")
        return [p.strip() for p in parts if p.strip()]
    return value


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class OpportunityInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=20000)
    slots: int = Field(default=1, ge=1, le=1000)
    remote: bool = False
    address: str = Field(default="", max_length=300)
    zip: str | None = None
    schedule: str = Field(default="", max_length=2000)
    schedule_days: list[Weekday] = Field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    paid: bool = False
    pay_min: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    pay_max: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    pay_unit: Literal["hour", "year", "total"] = "hour"
    ehr_products: list[str] = Field(default_factory=list, max_length=30)
    required_competencies: list[str] = Field(default_factory=list, max_length=60)
    preferred_competencies: list[str] = Field(default_factory=list, max_length=60)
    required_credentials: list[str] = Field(default_factory=list, max_length=20)

    @field_validator(
        "schedule_days",
        "ehr_products",
        "required_competencies",
        "preferred_competencies",
        "required_credentials",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("ehr_products", "required_competencies", "preferred_competencies")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return _dedupe(value)

    @field_validator("required_credentials")
    @classmethod
    def _unique_creds(cls, value: list[str]) -> list[str]:
        return _dedupe(value)

    @field_validator("zip", mode="before")
    @classmethod
    def _blank_zip(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("pay_min", "pay_max", "starts_on", "ends_on", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _consistent(self) -> OpportunityInput:
        if self.pay_min is not None and self.pay_max is not None and self.pay_min > self.pay_max:
            raise ValueError("pay_min must not exceed pay_max")
        if self.starts_on and self.ends_on and self.starts_on > self.ends_on:
            raise ValueError("starts_on must not be after ends_on")
        if not self.remote and not self.zip:
            raise ValueError("give a ZIP code, or mark the opportunity remote")
        if not self.paid and (self.pay_min is not None or self.pay_max is not None):
            raise ValueError("an unpaid opportunity has no pay range")
        overlap = set(self.required_competencies) & set(self.preferred_competencies)
        if overlap:
            raise ValueError(f"{', '.join(sorted(overlap))} is both required and preferred")
        return self


class ProfileInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    zip: str | None = None
    travel_miles: int = Field(default=25, ge=0, le=3000)
    remote_ok: bool = True
    days: list[Weekday] = Field(default_factory=list)
    hours: str = Field(default="", max_length=200)
    available_from: date | None = None
    available_until: date | None = None
    kinds: list[Kind] = Field(default_factory=list)
    ehr_products: list[str] = Field(default_factory=list, max_length=30)
    statement: str = Field(default="", max_length=4000)
    links: list[str] = Field(default_factory=list, max_length=10)
    show_details: Visibility = "applied"
    show_credentials: Visibility = "applied"
    show_practicum: Visibility = "applied"
    show_exams: Visibility = "applied"

    @field_validator("days", "kinds", "ehr_products", "links", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("zip", "available_from", "available_until", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("links")
    @classmethod
    def _https(cls, value: list[str]) -> list[str]:
        for link in value:
            if not link.startswith(("https://", "http://")) or len(link) > 300:
                raise ValueError(f"link '{link[:60]}' must be an http(s) address")
        return _dedupe(value)

    @model_validator(mode="after")
    def _dates(self) -> ProfileInput:
        if (
            self.available_from
            and self.available_until
            and self.available_from > self.available_until
        ):
            raise ValueError("available_from must not be after available_until")
        return self


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    q: str = Field(default="", max_length=200)
    kind: Kind | None = None
    zip: str | None = None
    miles: int | None = Field(default=None, ge=1, le=3000)
    remote: Literal["any", "only", "onsite"] = "any"
    competency: list[str] = Field(default_factory=list, max_length=20)
    page: int = Field(default=1, ge=1, le=10000)
    per_page: int = Field(default=20, ge=1, le=100)

    @field_validator("kind", "zip", "miles", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("competency", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [c for item in value for c in split_list(item)]
        return split_list(value)

    @model_validator(mode="after")
    def _distance(self) -> SearchQuery:
        if self.miles is not None and not self.zip:
            raise ValueError("a distance needs a ZIP code to measure from")
        return self


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any) -> M:
    """Validate ``data``; a failure becomes ``InvalidInput`` naming the first bad field."""
    from pydantic import ValidationError

    from extender.errors import InvalidInput

    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(
            f"{where}: {message}" if where else message, field=where or None
        ) from None
