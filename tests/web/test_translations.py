"""Every text of the web client is in the translation catalogue: nothing shown to people is
left untranslated in Chinese."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import NullTranslations

from quanzi.web import i18n

WEB = Path(i18n.__file__).parent
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def messages() -> dict[str | tuple[str, str], str]:
    """msgid (or singular and plural) -> where it is used (the first place)."""
    found: dict[str | tuple[str, str], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        WEB, METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        if message:
            found.setdefault(message, f"{filename}:{lineno}")
    return found


def translated(catalogue: NullTranslations, msgid: str | tuple[str, str]) -> str:
    if isinstance(msgid, tuple):
        return str(catalogue.ungettext(msgid[0], msgid[1], 2))
    return str(catalogue.ugettext(msgid))


def test_every_web_text_has_a_chinese_translation() -> None:
    i18n.catalogue.cache_clear()
    i18n.set_language("zh_CN")
    catalogue = i18n.catalogue("zh_CN")
    found = messages()
    assert len(found) > 50
    missing = {
        m: where
        for m, where in found.items()
        if translated(catalogue, m) == (m[1] if isinstance(m, tuple) else m)
    }
    assert not missing, "\n".join(f"{where}: {m!r}" for m, where in missing.items())


def test_placeholders_survive_translation() -> None:
    i18n.catalogue.cache_clear()
    catalogue = i18n.catalogue("zh_CN")
    for msgid in messages():
        text = translated(catalogue, msgid)
        source = msgid[1] if isinstance(msgid, tuple) else msgid
        for name in ("%(actor)s", "%(name)s", "%(num)d", "%(targets)s", "%(count)d"):
            assert (name in source) == (name in text), (msgid, text)


def test_catalogues_agree_where_they_share_a_text() -> None:
    """The catalogues of the areas are merged: a text translated in two of them must read the
    same in both, or one area would silently show the other's wording."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((i18n.LOCALE_DIR / "zh_CN").glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f, locale="zh_CN"):
                if not message.id or not message.string:
                    continue
                key = str(message.id)
                text = str(message.string)
                if key in seen and seen[key][1] != text:
                    clashes.append(
                        f"{key!r}: {seen[key][0]} {seen[key][1]!r}, {path.name} {text!r}"
                    )
                seen.setdefault(key, (path.name, text))
    assert not clashes, "\n".join(clashes)
