"""Logging in and out, registering, and choosing the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from quanzi.api.deps import SESSION_COOKIE, client_ip
from quanzi.domain.accounts import actions
from quanzi.domain.accounts.actions import Registration
from quanzi.errors import QuanziError
from quanzi.web import i18n
from quanzi.web.page import AnyPage, Page, WebRoute, redirect, render, secure, translate_error

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SESSION_SECONDS = 60 * 60 * 24 * 365


def _next(target: str | None) -> str:
    """Only a path of this site (never another site: no open redirects)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/chats"


@router.get("/")
async def start(page: AnyPage) -> Response:
    return redirect(page, "/chats" if page.viewer else "/login")


@router.get("/login")
async def login_form(page: AnyPage, next: str = "") -> Response:
    if page.viewer is not None:
        return redirect(page, _next(next))
    return _login_page(page, next=next)


def _login_page(
    page: Page, *, next: str, login: str = "", error: str = "", status: int = 200
) -> Response:
    return render(
        page,
        "auth/login.html",
        status=status,
        next=_next(next) if next else "",
        login=login,
        error=error,
        registration=page.services.settings.registration,
    )


@router.post("/login")
async def log_in(
    page: AnyPage,
    login: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        done = await actions.log_in(
            page.services,
            login,
            password,
            device_name=page.request.headers.get("user-agent", "")[:100] or "web",
            kind="web",
            ip=client_ip(page.request),
        )
    except QuanziError as exc:
        return _login_page(
            page, next=next, login=login, error=translate_error(exc), status=exc.status
        )
    response = redirect(page, _next(next))
    _set_session(page, response, done.token)
    return response


def _set_session(page: Page, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure(page.request, page.services),
    )


@router.get("/register")
async def register_form(page: AnyPage, next: str = "") -> Response:
    if page.viewer is not None:
        return redirect(page, "/chats")
    return _register_page(page, next=next, form={})


def _register_page(
    page: Page, *, next: str, form: dict[str, str], error: str = "", status: int = 200
) -> Response:
    return render(
        page,
        "auth/register.html",
        status=status,
        next=_next(next) if next else "",
        form=form,
        error=error,
        registration=page.services.settings.registration,
    )


@router.post("/register")
async def register(
    page: AnyPage,
    handle: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    invite_code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"handle": handle, "display_name": display_name, "invite_code": invite_code}
    ip = client_ip(page.request)
    try:
        await actions.register(
            page.services,
            Registration(handle, password, display_name, invite_code=invite_code or None),
            ip=ip,
        )
        done = await actions.log_in(
            page.services,
            handle,
            password,
            device_name=page.request.headers.get("user-agent", "")[:100] or "web",
            kind="web",
            ip=ip,
        )
    except QuanziError as exc:
        return _register_page(
            page, next=next, form=form, error=translate_error(exc), status=exc.status
        )
    response = redirect(page, _next(next))
    _set_session(page, response, done.token)
    return response


@router.post("/logout")
async def log_out(page: AnyPage) -> Response:
    if page.viewer is not None:
        async with page.services.write() as tx:
            await actions.do_log_out(tx, page.viewer)
    response = redirect(page, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
async def choose_language(
    page: AnyPage,
    language: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    response = redirect(page, _next(next) if next else "/")
    if language in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            language,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure(page.request, page.services),
        )
    return response
