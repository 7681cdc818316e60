"""Admin pages: who can sign in, which kiosks may send answers, and the audit log."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from sync.server.domain.kiosks import KioskError, add_kiosk, revoke_kiosk
from sync.server.domain.staff import ROLES, StaffError, add_staff, audit, list_staff, set_disabled, set_password
from sync.server.domain.stats import kiosk_health
from sync.server.fft.codes import MODES, all_site_codes, all_wards
from sync.server.storage.db import audit_log
from sync.server.web.common import render
from sync.server.web.sessions import Signed, field, form_reader, needs

router = APIRouter()
WHAT = "manage staff and kiosks"
AUDIT_ROWS = 200
DONE = {"staff-added": "The new member of staff can sign in now.",
        "password-set": "The password is changed, and they are signed out everywhere.",
        "disabled": "They can no longer sign in, and are signed out everywhere.",
        "enabled": "They can sign in again.",
        "revoked": "The kiosk's token no longer works. Its answers already received are kept.",
        "fft-codes": "The NHS codes are saved; the Friends and Family Test return uses them from now on."}
Admin = Annotated[Signed, Depends(needs("admin", WHAT))]
AdminForm = Annotated[tuple[Signed, FormData], Depends(form_reader("admin", WHAT))]


def _page(request: Request, signed: Signed, status_code: int = 200, **context: object) -> Response:
    engine = request.app.state.engine
    with engine.connect() as connection:
        people = list_staff(connection)
        log = connection.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(AUDIT_ROWS)).all()
        fft = {"fft_sites": all_site_codes(connection), "fft_wards": all_wards(connection), "fft_modes": MODES}
    done = DONE.get(request.query_params.get("done", ""), "")
    health = kiosk_health(engine)
    return render(request, "admin.html", signed, status_code=status_code, title="Admin", page="admin", people=people,
                  roles=ROLES, kiosks=health, log=log, done=done,
                  fft_site_names=sorted({kiosk["site"] for kiosk in health}), **fft, **context)


@router.get("/admin")
def admin_page(request: Request, signed: Admin) -> Response:
    return _page(request, signed)


def _done(what: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/admin?done={what}", status_code=303)


@router.post("/admin/staff")
def add_person(request: Request, checked: AdminForm) -> Response:
    signed, form = checked
    name, role = field(form, "name"), field(form, "role")
    sites = [site.strip() for site in field(form, "sites").split(",") if site.strip()]
    try:
        add_staff(request.app.state.engine, name, str(form.get("password", "")), role, sites,  # type: ignore[arg-type]
                  all_sites=form.get("all_sites") == "yes")
    except (StaffError, KioskError) as exc:
        return _page(request, signed, 400, staff_problem=str(exc).capitalize() + ".",
                     typed={"name": name, "role": role, "sites": field(form, "sites")})
    with request.app.state.engine.begin() as connection:
        audit(connection, signed.member.name, "staff-added", None,
              f"{name} as {role}; sites: {', '.join(sites) or 'all'}")
    return _done("staff-added")


@router.post("/admin/staff/{name}")
def change_person(request: Request, name: str, checked: AdminForm) -> Response:
    signed, form = checked
    action = field(form, "action")
    engine = request.app.state.engine
    try:
        if action == "password":
            set_password(engine, name, str(form.get("password", "")))
        elif action in ("disable", "enable"):
            if name == signed.member.name:
                raise StaffError("you cannot disable your own account; ask another admin")
            set_disabled(engine, name, action == "disable")
        else:
            raise StaffError("choose what to change")
    except StaffError as exc:
        return _page(request, signed, 400, staff_problem=str(exc).capitalize() + ".")
    with engine.begin() as connection:
        audit(connection, signed.member.name, f"staff-{action}", None, name)
    return _done({"password": "password-set", "disable": "disabled", "enable": "enabled"}[action])


@router.post("/admin/kiosks")
def enrol(request: Request, checked: AdminForm) -> Response:
    """Enrol a kiosk and show its token, once: it is not kept, so the page is the only copy."""
    signed, form = checked
    name, site = field(form, "name"), field(form, "site")
    try:
        token = add_kiosk(request.app.state.engine, name, site)
    except KioskError as exc:
        return _page(request, signed, 400, kiosk_problem=str(exc).capitalize() + ".", typed_kiosk={"name": name,
                                                                                                   "site": site})
    with request.app.state.engine.begin() as connection:
        audit(connection, signed.member.name, "kiosk-enrolled", site, name)
    return _page(request, signed, new_kiosk={"name": name, "site": site, "token": token})


@router.post("/admin/kiosks/{name}/revoke")
def revoke(request: Request, name: str, checked: AdminForm) -> Response:
    signed, _form = checked
    try:
        revoke_kiosk(request.app.state.engine, name)
    except KioskError as exc:
        return _page(request, signed, 400, kiosk_problem=str(exc).capitalize() + ".")
    with request.app.state.engine.begin() as connection:
        audit(connection, signed.member.name, "kiosk-revoked", None, name)
    return _done("revoked")
