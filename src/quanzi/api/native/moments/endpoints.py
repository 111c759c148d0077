"""Moments: post, feed, likes and comments."""

from __future__ import annotations

from fastapi import APIRouter

from quanzi.api.native.common import ERRORS, PREFIX

router = APIRouter(prefix=PREFIX, tags=["moments"], responses=ERRORS)  # type: ignore[arg-type]
