"""Apps and OAuth 2 tokens: POST /api/v1/apps, /oauth/token, /oauth/revoke. (The consent page,
/oauth/authorize, is a web page: web/oauth.py.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quanzi.api.deps import ServicesDep, client_ip
from quanzi.api.mastodon.auth import any_caller
from quanzi.api.mastodon.common import V1, MastoJSON, Params
from quanzi.db.models import OAuthApp
from quanzi.domain.accounts import oauth
from quanzi.domain.accounts.actions import log_in
from quanzi.domain.accounts.oauth import AppCaller, IssuedToken
from quanzi.errors import BadRequest, Forbidden, Invalid, Unauthorized

router = APIRouter(include_in_schema=False)


def app_entity(app: OAuthApp, secret: str | None = None) -> dict[str, object]:
    uris = oauth.redirect_uris(app)
    entity: dict[str, object] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris),
        "redirect_uris": uris,
        "vapid_key": "",
    }
    if secret is not None:
        entity |= {
            "client_id": app.client_id,
            "client_secret": secret,
            "client_secret_expires_at": 0,
        }
    return entity


@router.post(f"{V1}/apps")
async def create_app(request: Request, services: ServicesDep) -> Response:
    params = await Params.of(request)
    uris: str | list[str] = params.values.get("redirect_uris") or ""
    async with services.write() as tx:
        made = await oauth.do_create_app(
            tx,
            name=params.text("client_name") or "",
            redirect_uris=uris if isinstance(uris, list) else str(uris),
            scopes=params.text("scopes"),
            website=params.text("website"),
        )
    return MastoJSON(app_entity(made.app, made.client_secret))


@router.get(f"{V1}/apps/verify_credentials")
async def verify_app(request: Request, services: ServicesDep) -> Response:
    caller = await any_caller()(request)
    if isinstance(caller, AppCaller):
        return MastoJSON(app_entity(caller.app))
    async with services.read() as tx:
        app = await oauth.app_of_session(tx, caller.session_id)
    if app is None:  # a native session: no app
        return MastoJSON({"name": "quanzi", "website": None, "scopes": ["read", "write", "follow"]})
    return MastoJSON(app_entity(app))


def _token(issued: IssuedToken) -> Response:
    return MastoJSON(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "scope": " ".join(sorted(issued.scopes)),
            "created_at": issued.created_at_s,
        },
        headers={"Cache-Control": "no-store"},
    )


def _required(params: Params, name: str) -> str:
    value = params.text(name)
    if not value:
        raise BadRequest(f"{name} is required.", code="invalid_request")
    return value


@router.post("/oauth/token")
async def token(request: Request, services: ServicesDep) -> Response:
    params = await Params.of(request)
    grant = _required(params, "grant_type")
    client_id = _required(params, "client_id")
    secret = _required(params, "client_secret")
    async with services.read() as tx:
        app = await oauth.access_app(tx, client_id, secret)
    allowed = oauth.app_scopes(app)
    if grant == "authorization_code":
        async with services.write() as tx:
            issued = await oauth.do_exchange_code(
                tx,
                app,
                code=_required(params, "code"),
                redirect_uri=_required(params, "redirect_uri"),
                code_verifier=params.text("code_verifier"),
            )
        return _token(issued)
    try:
        wanted = oauth.parse_scopes(params.text("scope"), default="read")
    except Invalid as exc:
        raise BadRequest(exc.message, code="invalid_scope") from None  # RFC 6749 5.2: 400
    if not oauth.within(wanted, allowed):
        raise BadRequest("The app did not register these scopes.", code="invalid_scope")
    if grant == "client_credentials":
        async with services.write() as tx:
            return _token(await oauth.do_issue_app_token(tx, app, wanted))
    if grant == "password":
        try:
            done = await log_in(
                services,
                _required(params, "username"),
                _required(params, "password"),
                device_name=app.name,
                kind="oauth",
                ip=client_ip(request),
                app_id=app.id,
                scopes=" ".join(sorted(wanted)),
            )
        except (Unauthorized, Forbidden) as exc:  # wrong password, disabled account
            raise BadRequest(exc.message, code="invalid_grant") from None
        return _token(IssuedToken(done.token, wanted, int(done.session.created_at.timestamp())))
    raise BadRequest(f"Unsupported grant type: {grant[:50]}.", code="unsupported_grant_type")


@router.post("/oauth/revoke")
async def revoke(request: Request, services: ServicesDep) -> Response:
    params = await Params.of(request)
    async with services.write() as tx:
        app = await oauth.access_app(
            tx, _required(params, "client_id"), _required(params, "client_secret")
        )
        await oauth.do_revoke_token(tx, app, _required(params, "token"))
    return MastoJSON({})
