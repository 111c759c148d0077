"""The catalogue of events (domain/events.py): each event type defined once, with a typed
payload, and its name written nowhere else in the code."""

from __future__ import annotations

import ast
from pathlib import Path

from pydantic import BaseModel

from quanzi.domain import events
from quanzi.domain.events import CATALOGUE, POST_NEW, PostRef
from quanzi.realtime.events import Event, EventType

SRC = Path(events.__file__).resolve().parent.parent


def _defined() -> dict[str, EventType]:  # type: ignore[type-arg]
    return {name: value for name, value in vars(events).items() if isinstance(value, EventType)}


def test_every_event_type_is_in_the_catalogue_once_with_a_model_for_its_payload() -> None:
    defined = _defined()
    assert set(defined.values()) == set(CATALOGUE)
    names = [kind.name for kind in CATALOGUE]
    assert len(names) == len(set(names)), "an event name defined twice"
    for kind in CATALOGUE:
        assert issubclass(kind.payload, BaseModel), kind.name


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants of a module, leaving out docstrings and comments."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_event_name_is_written_outside_the_catalogue() -> None:
    """Emitters and consumers use the types (`MESSAGE_NEW(...)`, `POST_NEW.name`), so that an
    event is renamed or retyped in one place."""
    names = {kind.name for kind in CATALOGUE}
    catalogue = Path(events.__file__).resolve()
    found = [
        (str(path.relative_to(SRC)), line, value)
        for path in sorted(SRC.rglob("*.py"))
        if path.resolve() != catalogue
        for line, value in _string_constants(ast.parse(path.read_text(), str(path)))
        if value in names
    ]
    # The client's "typing" frame (api/native/frames.py) is a request, not the event.
    assert [(where, value) for where, _, value in found] == [("api/native/frames.py", "typing")], (
        found
    )


def test_an_event_carries_its_payload_as_json_with_ids_as_strings() -> None:
    event = POST_NEW(PostRef(post_id=2**62, author_id=7), users=[7, 8])
    assert event == Event("post.new", {"post_id": str(2**62), "author_id": "7"}, (7, 8))
    assert POST_NEW.read(event) == PostRef(post_id=2**62, author_id=7)
