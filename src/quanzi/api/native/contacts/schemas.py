"""Request bodies of the contacts area (what goes out is in domain/contacts/shapes.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from quanzi.domain.accounts.shapes import AccountPublic
from quanzi.domain.contacts.shapes import FriendRead, LabelRead
from quanzi.kit.wire import Id

IdList = Annotated[list[Id], Field(max_length=1000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FriendRequestCreate(Strict):
    account_id: Id
    greeting: Annotated[str, Field(max_length=1000)] = ""
    remark: Annotated[str, Field(max_length=200)] = ""
    label_ids: IdList = []


class FriendRequestAccept(Strict):
    remark: Annotated[str, Field(max_length=200)] = ""
    label_ids: IdList = []


class FriendUpdate(Strict):
    remark: Annotated[str | None, Field(max_length=200)] = None
    label_ids: IdList | None = None


class LabelCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    member_ids: IdList = []


class LabelUpdate(Strict):
    name: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    member_ids: IdList | None = None


class FriendList(BaseModel):
    items: list[FriendRead]


class LabelList(BaseModel):
    items: list[LabelRead]


class AccountList(BaseModel):
    items: list[AccountPublic]
