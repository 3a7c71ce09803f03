"""The console's pages, one module per task; each is a router of server-rendered pages."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from console.pages import case, declo, family, referral_form, signin, worktray

    return [
        signin.router,
        worktray.router,
        case.router,
        referral_form.router,
        declo.router,
        family.router,
    ]
