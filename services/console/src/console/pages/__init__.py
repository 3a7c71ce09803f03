"""The console's pages, one module per task; each is a router of server-rendered pages."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from console.pages import (
        advocacy,
        calendars,
        case,
        dashboard,
        declo,
        family,
        idp,
        inbox,
        referral_form,
        signin,
        worktray,
    )

    return [
        signin.router,
        worktray.router,
        case.router,
        referral_form.router,
        declo.router,
        inbox.router,
        idp.router,
        advocacy.router,
        family.router,
        dashboard.router,
        calendars.router,
    ]
