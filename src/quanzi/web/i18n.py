"""Translations for the web client.

Messages are written in English in templates and views (`_("…")`); the catalogues under
`locale/<language>/*.po` (one file per area of the client) give the other languages. They are
read with Babel when the process starts, so there is no build step. The language of a request
is the user's choice (a cookie set from the settings page) or else the best match for the
browser's `Accept-Language`; it is kept in a context variable so that templates and views
translate without passing it around.
"""

from __future__ import annotations

import contextvars
import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "quanzi_lang"

_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "quanzi_language", default=DEFAULT_LANGUAGE
)


@cache
def catalogue(language: str) -> NullTranslations:
    """Every `.po` file of a language merged into one set of translations."""
    files = sorted((LOCALE_DIR / language).glob("*.po"))
    if not files:
        return NullTranslations()
    merged = Catalog(locale=language)
    for path in files:
        with path.open("rb") as f:
            for message in read_po(f, locale=language):
                if message.id and message.string:
                    merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    wanted = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            wanted.append(tag)
    # zh, zh_Hans, zh_SG… all read simplified Chinese best.
    wanted = ["zh_CN" if w.lower().startswith("zh") else w for w in wanted]
    return negotiate_locale(wanted, list(LANGUAGES), sep="_") or DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    _language.set(language)


def current_language() -> str:
    return _language.get()


def raw_gettext(message: str) -> str:
    """The translation alone (templates format it themselves)."""
    return str(catalogue(_language.get()).ugettext(message))


def raw_ngettext(singular: str, plural: str, n: int) -> str:
    return str(catalogue(_language.get()).ungettext(singular, plural, n))


def gettext(message: str, **values: Any) -> str:
    text = raw_gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    return raw_ngettext(singular, plural, n) % {"num": n, **values}


_ = gettext


def gettext_in(language: str, message: str) -> str:
    """A text in a language other than the request's (the offline page says it in both)."""
    return str(catalogue(language).ugettext(message))


def html_lang(language: str | None = None) -> str:
    """The BCP 47 tag of a language (of the request's, by default), for `lang` attributes."""
    return "zh-CN" if (language or _language.get()) == "zh_CN" else "en"


def when(moment: datetime, now: datetime | None = None) -> str:
    """A time as a chat list shows it: the time today, the date otherwise (in the language of
    the request, in UTC until users can choose a time zone)."""
    now = now or datetime.now(UTC)
    locale = Locale.parse(_language.get())
    if moment.date() == now.date():
        return format_time(moment, "HH:mm", locale=locale)
    if moment.year == now.year:
        return format_skeleton("MMMd", moment, locale=locale)
    return format_date(moment, "yyyy-MM-dd", locale=locale)


def when_in_chat(moment: datetime, now: datetime | None = None) -> str:
    """A time between the messages of a chat, as WeChat shows it: the time today, the date and
    time otherwise (UTC, as `when`)."""
    now = now or datetime.now(UTC)
    locale = Locale.parse(_language.get())
    if moment.date() == now.date():
        return format_time(moment, "HH:mm", locale=locale)
    clock = format_time(moment, "HH:mm", locale=locale)
    if moment.year == now.year:
        return f"{format_skeleton('MMMd', moment, locale=locale)} {clock}"
    return f"{format_date(moment, 'yyyy-MM-dd', locale=locale)} {clock}"
