"""Checks on user text shared by every area: cleaned as kit.text does, then bounded."""

from __future__ import annotations

from quanzi.errors import Invalid
from quanzi.kit.text import clean_line, clean_text


def text_field(
    value: str,
    *,
    field: str,
    what: str,
    code: str,
    max_len: int,
    min_len: int = 0,
    lines: bool = False,
) -> str:
    """`value` cleaned (one line, or several with `lines`) and between the bounds, else
    Invalid naming the field: e.g. "A remark is at most 50 characters." """
    cleaned = clean_text(value) if lines else clean_line(value)
    if not min_len <= len(cleaned) <= max_len:
        span = f"{min_len} to {max_len}" if min_len else f"at most {max_len}"
        raise Invalid(f"{what} is {span} characters.", code=code, details={"field": field})
    return cleaned
