"""Request bodies of the Moments area (responses are the domain's shapes)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from quanzi.domain.moments.actions import Audience
from quanzi.domain.moments.shapes import AudienceKind
from quanzi.kit.wire import Id


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AudienceIn(Strict):
    kind: AudienceKind = "friends"
    account_ids: Annotated[list[Id], Field(max_length=1000)] = []
    label_ids: Annotated[list[Id], Field(max_length=100)] = []

    def audience(self) -> Audience:
        return Audience(self.kind, list(self.account_ids), list(self.label_ids))


class MomentCreate(Strict):
    text: Annotated[str, Field(max_length=20_000)] = ""
    media_ids: Annotated[list[Id], Field(max_length=9)] = []
    location: Annotated[str, Field(max_length=1000)] = ""
    audience: AudienceIn = AudienceIn()


class CommentCreate(Strict):
    text: Annotated[str, Field(max_length=10_000)]
    reply_to_id: Id | None = None
