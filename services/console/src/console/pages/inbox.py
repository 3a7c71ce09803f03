"""A person's own notifications (the notifications service's in-app inbox), newest first, each
marked read when they say so; and the unread count the header shows on every page (fetched
by htmx once the page has loaded, so no page waits on the notifications service)."""

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console import csrf
from console.identity import SignedIn, User, current_user
from console.language import page_language, text
from console.pages.signin import local_path
from console.services import ServiceProblem, services_of
from console.templating import ENV, render

router = APIRouter()


async def _items(request: Request, user: User) -> list[dict[str, Any]]:
    page = await services_of(request).call(request, user, "notifications", "GET", "/api/v1/inbox")
    items: list[dict[str, Any]] = page["items"]
    return items


def _console_link(link: str | None) -> str | None:
    """A notification links to the console's case page by its full URL; keep only the path,
    so it opens on this console whatever host it is reached by."""
    if not link:
        return None
    path = "/" + link.split("://", 1)[-1].split("/", 1)[-1] if "://" in link else link
    return local_path(path, "") or None


@router.get("/inbox")
async def inbox(request: Request, user: SignedIn) -> Response:
    problem = None
    items: list[dict[str, Any]] = []
    try:
        items = await _items(request, user)
    except ServiceProblem as exc:
        problem = exc
    rows = [
        {
            **i,
            "path": _console_link(i.get("link")),
            # `both`: Welsh then English, each paragraph in its own language
            "parts": _parts(i),
        }
        for i in items
    ]
    unread = sum(1 for i in items if i["unread"])
    return render(request, "inbox.html", rows=rows, unread=unread, problem=problem)


def _parts(item: dict[str, Any]) -> list[tuple[str, str]]:
    lang = item.get("language")
    if lang in ("cy", "en"):
        return [(lang, item["text"])]
    welsh, _, english = item["text"].partition("\n\n")
    return [("cy", welsh), ("en", english)] if english else [("cy", welsh)]


@router.get("/inbox/unread")
async def unread_count(request: Request) -> Response:
    """The header's count (an htmx fragment); nothing at all when it cannot be known."""
    user = current_user(request)
    if user is None:
        return HTMLResponse("")
    try:
        items = await _items(request, user)
    except ServiceProblem:
        return HTMLResponse("")
    count = sum(1 for i in items if i["unread"])
    fragment = ENV.get_template("_unread.html").render(
        count=count, label=text("inbox.unread-count", page_language(request), count=count)
    )
    return HTMLResponse(fragment)


@router.post("/inbox/{notification_id}/read", dependencies=[Depends(csrf.verify)])
async def mark_read(request: Request, notification_id: str, user: SignedIn) -> Response:
    try:
        await services_of(request).call(
            request, user, "notifications", "POST", f"/api/v1/inbox/{notification_id}/read"
        )
    except ServiceProblem as exc:
        if exc.status in (403, 404):
            raise HTTPException(404) from exc
        raise
    request.session["flash"] = text("inbox.marked-read", page_language(request))
    return RedirectResponse("/inbox", status_code=303)
