"""One Jinja2 environment for every domain. Each domain keeps its templates in its own
``templates/<domain>/`` folder and registers it here from the composition root."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from extender.accounts.models import ORG_KIND_LABELS, ROLE_LABELS, OrgKind, Role
from extender.web.deps import Principal, csrf_token
from extender.web.markdown import render_markdown

_template_dirs: list[str] = [str(Path(__file__).parent / "templates")]
_loader = ChoiceLoader([FileSystemLoader(_template_dirs)])
_env = Environment(loader=_loader, autoescape=select_autoescape(["html", "xml"]))
templates = Jinja2Templates(env=_env)


def register_template_dir(path: Path) -> None:
    if str(path) not in _template_dirs:
        _template_dirs.append(str(path))
        _loader.loaders = [FileSystemLoader(_template_dirs)]


def _fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _fmt_date(value: date | None) -> str:
    return value.strftime("%b %-d, %Y") if value else "—"


def _role_label(value: str) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return value


def _kind_label(value: str) -> str:
    try:
        return ORG_KIND_LABELS[OrgKind(value)]
    except ValueError:
        return value


def _urlencode_page(params: Any, page: int) -> str:
    items = [(k, v) for k, v in params.multi_items() if k != "page"]
    return urlencode([*items, ("page", str(page))])


_env.filters["markdown"] = render_markdown
_env.filters["urlencode_page"] = _urlencode_page
_env.filters["dt"] = _fmt_dt
_env.filters["d"] = _fmt_date
_env.filters["role_label"] = _role_label
_env.filters["kind_label"] = _kind_label


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "principal": principal,
        "csrf_token": csrf_token(request),
        "Role": Role,
        "flash": request.session.pop("flash", None),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message
