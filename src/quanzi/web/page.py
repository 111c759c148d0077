"""What every web page shares: who is looking (the session cookie), the language, CSRF
protection, security headers, and rendering templates: whole pages, or fragments for HTMX.

Views stay thin, like the API's endpoints: take a `Page` (or a `MemberPage`, which requires a
logged-in person), call one domain function, render a template. Errors from the domain are shown
in the person's language, as a page or, for HTMX requests, as a message in the toast area.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from quanzi.api.deps import SAFE_METHODS, SESSION_COOKIE
from quanzi.domain.accounts.cache import AccountRow
from quanzi.domain.accounts.doors import Door, admits
from quanzi.domain.accounts.queries import load_account_row
from quanzi.domain.accounts.sessions import Principal
from quanzi.domain.chat.queries import total_unread
from quanzi.domain.contacts.queries import count_incoming_requests, my_remarks
from quanzi.domain.media.urls import Holder
from quanzi.domain.notifications.queries import count_unread
from quanzi.errors import Forbidden, QuanziError
from quanzi.services import Services
from quanzi.web import i18n
from quanzi.web.i18n import _
from quanzi.web.static import STATIC_VERSION

CSRF_COOKIE = "quanzi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# Scripts and styles come from this server only: no inline script or style anywhere, so user
# text that slipped through escaping still could not run.
PAGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.raw_gettext, i18n.raw_ngettext, newstyle=True
)
templates.globals.update(
    version=STATIC_VERSION,
    languages=i18n.LANGUAGES,
    when=i18n.when,
    html_lang=i18n.html_lang,
    gettext_in=i18n.gettext_in,
)


class LoginRequired(Exception):
    """The page needs a logged-in person: they are sent to log in, and back here after."""


@dataclass
class Page:
    """One web request: the services, who is looking, the language and the CSRF token."""

    request: Request
    services: Services
    viewer: Principal | None
    me: AccountRow | None
    csrf: str
    language: str
    set_csrf_cookie: bool = False
    badges: dict[str, int] = field(default_factory=dict)
    remarks: dict[int, str] = field(default_factory=dict)  # how I named my contacts

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    @property
    def base_url(self) -> str:
        return self.services.settings.public_base

    @property
    def path(self) -> str:
        return self.request.url.path

    def avatar(self, account: Any) -> str | None:
        """Someone's avatar thumbnail as a path of this site: from a row (`avatar_id`, signed
        here), or from a view whose URLs are signed already."""
        avatar_id = getattr(account, "avatar_id", None)
        if avatar_id:
            return f"{self.services.media_urls.path(avatar_id, Holder('avatar', account.id))}/thumb"
        return media_path(getattr(account, "avatar_thumbnail_url", None))

    def name(self, account: Any) -> str:
        """Someone's name as I see it: my remark for them, else the name they chose."""
        remark = self.remarks.get(int(account.id)) if self.remarks else None
        return remark or account.display_name or account.handle

    async def load_remarks(self) -> None:
        async with self.services.read() as tx:
            self.remarks = await my_remarks(tx, self.principal)

    @property
    def principal(self) -> Principal:
        if self.viewer is None:
            raise LoginRequired()
        return self.viewer


async def _page(request: Request) -> Page:
    services: Services = request.app.state.services
    language = i18n.choose_language(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    i18n.set_language(language)
    csrf = request.cookies.get(CSRF_COOKIE)
    fresh = csrf is None or len(csrf) != 43
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, csrf)
    if fresh:
        csrf = secrets.token_urlsafe(32)
    assert csrf is not None
    viewer = None
    me = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        viewer = await services.auth.authenticate(token)
        if viewer is not None and not admits(viewer, Door.WEB):
            viewer = None  # a token given to an app opens no page: as if logged out
        if viewer is not None:
            async with services.read() as tx:
                me = await load_account_row(tx, viewer.account_id)
            if me is None or me.status != "active":
                viewer = me = None
    return Page(request, services, viewer, me, csrf, language, fresh)


async def _check_csrf(request: Request, expected: str | None) -> None:
    """A state-changing request must carry the token of the page it came from (double submit:
    the cookie can only be read by our own pages, which put it in a form field or a header)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden(_("This form has expired. Reload the page and try again."), code="csrf")


async def _member_page(request: Request) -> Page:
    page = await _page(request)
    if page.viewer is None:
        raise LoginRequired()
    return page


AnyPage = Annotated[Page, Depends(_page)]
MemberPage = Annotated[Page, Depends(_member_page)]


async def show(page: Page, template: str, status: int = 200, **context: Any) -> Response:
    """A whole page, with the counts on its tabs (unread chats, pending friend requests and
    unread notifications) and the names I gave my contacts (`Page.name`)."""
    async with page.services.read() as tx:
        viewer = page.principal
        page.badges["chats"], _counts = await total_unread(tx, viewer)
        page.badges["contacts"] = await count_incoming_requests(tx, viewer)
        page.badges["me"] = await count_unread(tx, viewer)
        page.remarks = await my_remarks(tx, viewer)
    return render(page, template, status, **context)


def render(page: Page, template: str, status: int = 200, **context: Any) -> Response:
    html = templates.get_template(template).render(page=page, **context)
    return finish(page, HTMLResponse(html, status_code=status))


def finish(page: Page, response: Response) -> Response:
    """Headers every page and fragment carries."""
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie, Accept-Language, HX-Request"
    if page.set_csrf_cookie:
        response.set_cookie(
            CSRF_COOKIE,
            page.csrf,
            max_age=60 * 60 * 24 * 365,
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure(page.request, page.services),
        )
    return response


def secure(request: Request, services: Services) -> bool:
    return services.settings.secure_cookies or request.url.scheme == "https"


def redirect(page: Page, to: str) -> Response:
    """Go to another page: a plain redirect, or HTMX's own for HTMX requests."""
    if page.htmx:
        response: Response = Response(status_code=204, headers={"HX-Redirect": to})
    else:
        response = RedirectResponse(to, status_code=303)
    return finish(page, response)


def _error_response(request: Request, status: int, message: str) -> Response:
    services: Services = request.app.state.services
    page = Page(request, services, None, None, "", i18n.current_language())
    if request.headers.get("hx-request") == "true":
        html = templates.get_template("_toast.html").render(page=page, message=message, error=True)
        return finish(
            page,
            HTMLResponse(
                html,
                status_code=status,
                headers={"HX-Retarget": "#toast", "HX-Reswap": "innerHTML"},
            ),
        )
    return render(page, "error.html", status=status, message=message)


class WebRoute(APIRoute):
    """Routes of the web client: domain errors become pages (or toasts), and a page that needs
    a logged-in person sends others to log in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                to = f"/login?next={quote(target)}"
                if request.headers.get("hx-request") == "true":
                    return Response(status_code=204, headers={"HX-Redirect": to})
                return RedirectResponse(to, status_code=303)
            except QuanziError as exc:
                return _error_response(request, exc.status, translate_error(exc))
            except RequestValidationError:
                return _error_response(request, 422, _("Something in this form is not right."))

        return handle


def translate_error(exc: QuanziError) -> str:
    """The domain's message in the person's language, where the catalogue has it."""
    return i18n.gettext(exc.message)


def media_path(url: str | None) -> str | None:
    """A (signed) media URL of this server as a path, so that pages load it from where they
    were served (the public base may not be the address the browser used, and the CSP allows
    images from 'self' only)."""
    if not url:
        return None
    split = urlsplit(url)
    return split.path + (f"?{split.query}" if split.query else "")


templates.globals["media_path"] = media_path
