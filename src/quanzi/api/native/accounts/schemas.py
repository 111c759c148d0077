"""Request and response bodies of the accounts area (what goes out is in the domain's shapes)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from quanzi.domain.accounts.actions import ProfileChanges
from quanzi.domain.accounts.shapes import AccountSelf, Gender, SessionRead
from quanzi.kit.wire import Id

Text = Annotated[str, Field(max_length=10_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(Strict):
    handle: Annotated[str, Field(min_length=1, max_length=30, examples=["xiaoming"])]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    display_name: Annotated[str, Field(min_length=1, max_length=200, examples=["小明"])]
    email: Annotated[str | None, Field(max_length=254)] = None
    invite_code: Annotated[str | None, Field(max_length=64)] = None


class PrivacyUpdate(Strict):
    find_by_number: bool | None = None
    find_by_handle: bool | None = None
    find_in_search: bool | None = None
    add_needs_verification: bool | None = None
    allow_strangers: bool | None = None
    locked: bool | None = None
    show_presence: bool | None = None
    moments_window: Literal["all", "6m", "3d"] | None = None


class ProfileUpdate(Strict):
    """Only the fields present are changed. `gender` and `avatar_id` may be null to clear."""

    display_name: Annotated[str | None, Field(max_length=200)] = None
    bio: Text | None = None
    region: Annotated[str | None, Field(max_length=200)] = None
    gender: Gender | None = None
    avatar_id: Id | None = None
    privacy: PrivacyUpdate | None = None

    def changes(self) -> ProfileChanges:
        given = self.model_dump(exclude_unset=True, exclude={"privacy"})
        for name in ("display_name", "bio", "region"):
            if name in given and given[name] is None:
                del given[name]  # null means "leave as is" for text fields
        if self.privacy is not None:
            given.update(self.privacy.model_dump(exclude_unset=True, exclude_none=True))
        return ProfileChanges(**given)


class PasswordChange(Strict):
    current_password: Annotated[str, Field(max_length=1024)]
    new_password: Annotated[str, Field(min_length=1, max_length=1024)]


class AccountDelete(Strict):
    password: Annotated[str, Field(max_length=1024)]


class LoginRequest(Strict):
    login: Annotated[
        str, Field(min_length=1, max_length=320, description="Handle, account number or email")
    ]
    password: Annotated[str, Field(max_length=1024)]
    device_name: Annotated[str, Field(max_length=100)] = ""
    cookie: bool = Field(
        default=False, description="Also set the HttpOnly session cookie (for the web page)"
    )


class LoginResponse(BaseModel):
    token: str
    session: SessionRead
    account: AccountSelf


class InviteCreate(Strict):
    max_uses: Annotated[int, Field(ge=1, le=10_000)] = 1
    expires_in_hours: Annotated[int | None, Field(ge=1, le=24 * 365)] = None
