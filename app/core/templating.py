"""Jinja2 set-up and the one render helper every HTML view uses.

A page is a full document; when htmx asks for it (HX-Request, not boosted, not a history
restore) the same URL answers only the named fragment. `Vary: HX-Request` keeps caches honest.
"""
import json

from fastapi import Request
from fastapi.templating import Jinja2Templates

from app.core.paths import ROOT
from app.core.text import format_date, format_date_long, format_number

templates = Jinja2Templates(directory=str(ROOT / "templates"))
templates.env.filters["number"] = format_number
templates.env.filters["vndate"] = format_date
templates.env.filters["vndate_long"] = format_date_long
templates.env.filters["airtime"] = lambda a: (
    f"{format_number(a.airings)} lần × {format_number(a.minutes_per_airing)} phút = {format_number(a.minutes)} phút")
templates.env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)


def _csrf_token(request: Request) -> str:
    auth = getattr(request.state, "auth_session", None)
    return auth.csrf_token if auth is not None else ""


def _current_user(request: Request):
    return getattr(request.state, "user", None)


templates.env.globals["csrf_token"] = _csrf_token
templates.env.globals["current_user"] = _current_user


def wants_fragment(request: Request) -> bool:
    h = request.headers
    return bool(h.get("HX-Request")) and not h.get("HX-Boosted") and not h.get("HX-History-Restore-Request")


def render(request: Request, name: str, context: dict | None = None, *, fragment: str | None = None,
           status_code: int = 200, headers: dict[str, str] | None = None):
    template = fragment if fragment and wants_fragment(request) else name
    response = templates.TemplateResponse(request, template, context or {}, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response
