"""The OAuth consent page (GET and POST /oauth/authorize): a person lets a client app use their
account with the scopes it asked for (RFC 6749 4.1, PKCE S256 only, RFC 7636). The app then
trades the code for a token at /oauth/token (api/mastodon/apps.py).

Until the app and its redirect URI are known to be registered, a problem is shown here and
nothing is sent anywhere (this page is no open redirector); after that, problems go back to the
app as `error=…`, as the RFC says. The page stands alone like the log-in page, without the tabs.
It always names the account and offers to log in as someone else, so `force_login` needs no
handling (logging out on a GET, as Mastodon does, would let any site log people out).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response

from quanzi.api.deps import SESSION_COOKIE
from quanzi.db.models import OAuthApp
from quanzi.domain.accounts import actions, oauth
from quanzi.errors import BadRequest, Invalid, Unauthorized
from quanzi.web import i18n
from quanzi.web.i18n import _
from quanzi.web.page import PAGE_CSP, AnyPage, Page, WebRoute, finish, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

AUTHORIZE = "/oauth/authorize"
# Mastodon.py sends parameters it was not given as the text "None" (and booleans as "False").
UNSET = frozenset({"", "None", "null", "undefined"})
TOP_SCOPES = ("read", "write", "follow", "push", "profile")
LANGS = {"zh": "zh_CN", "zh-cn": "zh_CN", "zh_cn": "zh_CN", "zh-hans": "zh_CN", "en": "en"}
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _given(value: str | None) -> str | None:
    return None if value is None or value.strip() in UNSET else value.strip()


@dataclass(frozen=True, slots=True)
class Ask:
    """What the app asks for, as it came in the query (and back in the consent form)."""

    client_id: str
    redirect_uri: str
    response_type: str
    scope: str | None
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    @classmethod
    def of(cls, **given: str | None) -> Ask:
        values = {name: _given(value) for name, value in given.items()}
        return cls(
            client_id=values["client_id"] or "",
            redirect_uri=values["redirect_uri"] or "",
            response_type=values["response_type"] or "",
            scope=values["scope"],
            state=values["state"],
            code_challenge=values["code_challenge"],
            code_challenge_method=values["code_challenge_method"],
        )

    def url(self) -> str:
        """This page again, asking the same (where log in sends the person back to)."""
        fields = {k: v for k, v in dataclasses.asdict(self).items() if v}
        return f"{AUTHORIZE}?{urlencode(fields)}"


@dataclass(frozen=True, slots=True)
class Consent:
    """A request that may be put to the person: a registered app, a registered redirect URI."""

    ask: Ask
    app: OAuthApp
    redirect_uri: str
    scopes: frozenset[str]


class GoBack(Exception):
    """A problem the app is told about at its (registered) redirect URI: `error=…`."""

    def __init__(self, consent: Consent, error: str, description: str) -> None:
        super().__init__(description)
        self.consent = consent
        self.error = error
        self.description = description


async def _consent(page: Page, ask: Ask) -> Consent:
    """Check what the app asks; errors before the redirect URI is trusted are raised for the
    error page, the others as `GoBack`."""
    try:
        async with page.services.read() as tx:
            app = await oauth.access_app(tx, ask.client_id)
    except Unauthorized:
        raise BadRequest(
            _("This app is not registered on this server. Go back to the app and try again."),
            code="invalid_client",
        ) from None
    registered = oauth.redirect_uris(app)
    # RFC 6749 3.1.2.3: an app with one redirect URI need not repeat it.
    redirect_uri = ask.redirect_uri or (registered[0] if len(registered) == 1 else "")
    if redirect_uri not in registered:
        raise BadRequest(
            _(
                "The app gave a return address it did not register, so nothing was sent to it."
                " Go back to the app and try again."
            ),
            code="invalid_redirect_uri",
        )
    consent = Consent(ask, app, redirect_uri, frozenset())
    if ask.response_type != "code":
        raise GoBack(consent, "unsupported_response_type", "Only response_type=code is supported.")
    try:
        scopes = oauth.check_authorization(app, redirect_uri, ask.scope)
        oauth.check_code_challenge(ask.code_challenge, ask.code_challenge_method)
    except Invalid as exc:
        raise GoBack(consent, exc.code, exc.message) from None
    return dataclasses.replace(consent, scopes=scopes)


def _to_app(redirect_uri: str, state: str | None, **values: str) -> str:
    """The redirect URI with our answer added to its query."""
    parts = urlsplit(redirect_uri)
    answer = urlencode({**values, **({"state": state} if state else {})})
    query = f"{parts.query}&{answer}" if parts.query else answer
    return urlunsplit(parts._replace(query=query))


def _form_action(redirect_uri: str) -> str:
    """The CSP source that lets the consent form's answer redirect to the app (browsers apply
    form-action to the redirect after a form is sent)."""
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and _HOST.fullmatch(parts.netloc):
        return f"{scheme}://{parts.netloc}"
    return f"{scheme}:" if _SCHEME.fullmatch(scheme) else ""


def _standalone(page: Page) -> Page:
    """The page drawn like the log-in page: a card of its own, no tabs or live stream."""
    return dataclasses.replace(page, viewer=None)


def _shown_scopes(scopes: frozenset[str]) -> list[str]:
    """Broad scopes first; a narrow one only when no broad one covers it."""
    tops = [s for s in TOP_SCOPES if s in scopes]
    return tops + sorted(s for s in scopes if ":" in s and s.split(":", 1)[0] not in scopes)


def _website(app: OAuthApp) -> str | None:
    url = app.website or ""
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def _go_back(page: Page, problem: GoBack) -> Response:
    consent = problem.consent
    if consent.redirect_uri == oauth.OOB:  # nowhere to send it: the person reads it here
        message = i18n.gettext(problem.description)
        return render(_standalone(page), "error.html", status=400, message=message)
    to = _to_app(
        consent.redirect_uri,
        consent.ask.state,
        error=problem.error,
        error_description=problem.description,
    )
    return finish(page, RedirectResponse(to, status_code=303))


async def _consented(page: AnyPage, ask: Ask) -> Consent | Response:
    """What the person is asked to allow, or where they go instead: back to the app with an
    error, or to log in first (also when they logged out in another tab before answering),
    then to be asked again."""
    try:
        consent = await _consent(page, ask)
    except GoBack as problem:
        return _go_back(page, problem)
    if page.viewer is None:
        return redirect(page, f"/login?next={quote(ask.url(), safe='')}")
    return consent


@router.get(AUTHORIZE)
@router.get(AUTHORIZE + "/")  # toot asks with the slash
async def consent_form(
    page: AnyPage,
    client_id: Annotated[str, Query(max_length=200)] = "",
    redirect_uri: Annotated[str, Query(max_length=2000)] = "",
    response_type: Annotated[str, Query(max_length=50)] = "",
    scope: Annotated[str | None, Query(max_length=1000)] = None,
    state: Annotated[str | None, Query(max_length=2000)] = None,
    code_challenge: Annotated[str | None, Query(max_length=200)] = None,
    code_challenge_method: Annotated[str | None, Query(max_length=20)] = None,
    lang: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    if lang and lang.lower() in LANGS and page.request.cookies.get(i18n.LANGUAGE_COOKIE) is None:
        page.language = LANGS[lang.lower()]
        i18n.set_language(page.language)
    ask = Ask.of(
        client_id=client_id,
        redirect_uri=redirect_uri,
        response_type=response_type,
        scope=scope,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
    )
    consent = await _consented(page, ask)
    if isinstance(consent, Response):
        return consent
    response = render(
        _standalone(page),
        "oauth/authorize.html",
        app=consent.app,
        website=_website(consent.app),
        ask=ask,
        scopes=_shown_scopes(consent.scopes),
    )
    source = _form_action(consent.redirect_uri)
    if source:
        response.headers["Content-Security-Policy"] = PAGE_CSP.replace(
            "form-action 'self'", f"form-action 'self' {source}"
        )
    return response


@router.post(AUTHORIZE)
async def answer(
    page: AnyPage,
    decision: Annotated[str, Form(max_length=10)],
    client_id: Annotated[str, Form(max_length=200)] = "",
    redirect_uri: Annotated[str, Form(max_length=2000)] = "",
    response_type: Annotated[str, Form(max_length=50)] = "",
    scope: Annotated[str, Form(max_length=1000)] = "",
    state: Annotated[str, Form(max_length=2000)] = "",
    code_challenge: Annotated[str, Form(max_length=200)] = "",
    code_challenge_method: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    ask = Ask.of(
        client_id=client_id,
        redirect_uri=redirect_uri,
        response_type=response_type,
        scope=scope,
        state=state,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
    )
    consent = await _consented(page, ask)
    if isinstance(consent, Response):
        return consent
    if decision != "allow":
        if consent.redirect_uri == oauth.OOB:
            return render(_standalone(page), "oauth/denied.html", app=consent.app)
        denied = "The person did not allow the app to use their account."
        return _go_back(page, GoBack(consent, "access_denied", denied))
    async with page.services.write() as tx:
        code = await oauth.do_grant_code(
            tx,
            page.principal,
            consent.app,
            redirect_uri=consent.redirect_uri,
            scopes=consent.scopes,
            code_challenge=ask.code_challenge,
        )
    if consent.redirect_uri == oauth.OOB:
        return render(_standalone(page), "oauth/code.html", app=consent.app, code=code)
    to = _to_app(consent.redirect_uri, ask.state, code=code)
    return finish(page, RedirectResponse(to, status_code=303))


@router.post(AUTHORIZE + "/other-account")
async def other_account(
    page: AnyPage,
    next: Annotated[str, Form(max_length=6000)] = "",
) -> Response:
    """Log out here and log in as someone else, then come back to the same question."""
    if page.viewer is not None:
        async with page.services.write() as tx:
            await actions.do_log_out(tx, page.viewer)
    back = next if next.startswith(AUTHORIZE + "?") else AUTHORIZE
    response = redirect(page, f"/login?next={quote(back, safe='')}")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
