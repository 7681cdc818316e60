"""The codes NHS England knows a service by, set by an admin on the dashboard or with `feedback-server fft-codes`.

A site (as the server names it, e.g. "Mile End") gets its ODS organisation code and name, its ODS site code,
optionally its ICB's code, and the collection mode its kiosks report under; a kiosk gets the ward or service it
stands in and its specialties. Codes are checked for the shapes ODS gives them, never looked up: the server
may have no network, and the ODS register is not ours to copy. Every change goes in the audit log with what it
was before, because a wrong code sends a month's answers to another organisation's figures.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sync.core.clock import utc_now
from sync.server.domain.kiosks import KioskError, check_label
from sync.server.domain.staff import audit
from sync.server.storage.db import fft_sites, fft_wards, kiosks

MODES = ("SMS", "Electronic Discharge", "Electronic Home", "Paper Discharge", "Paper Home", "Telephone", "Online",
         "Other")
"""NHS England's collection modes, in its order. A kiosk on a ward or in a day centre is none of the first
seven, so a site reports under "Other" unless its admin says otherwise; touch, voice and keyboard answers
all count under the site's one mode."""
DEFAULT_MODE = "Other"
_ORG = re.compile(r"(?=.*[A-Z])[A-Z0-9]{3,6}")
"""An ODS organisation code: an NHS trust's is 3 characters (RWD, R1F), an independent provider's or a GP
practice's up to 6 (A81001)."""
_SITE = re.compile(r"(?=.*[A-Z])[A-Z0-9]{5,9}")
"""An ODS site code: an NHS trust's sites are its code and two more characters (RWDLA, RQ301)."""
_ICB = re.compile(r"Q[A-Z0-9]{2}")
"""An integrated care board's ODS code: Q and two characters (QMF)."""
_SPECIALTY = re.compile(r"([0-9]{3})(?:\s*-\s*(.+))?")
"""A main specialty: its 3-digit code, optionally with its name, as NHS England's ward data writes it
("326 - ACUTE INTERNAL MEDICINE")."""


class FftCodesError(Exception):
    """A code or name cannot be used as given; the message says what is wrong and what a right one looks like."""


@dataclass(frozen=True)
class SiteCodes:
    site: str
    org_code: str
    org_name: str = ""
    site_code: str = ""
    icb_code: str = ""
    mode: str = DEFAULT_MODE


@dataclass(frozen=True)
class Ward:
    kiosk: str
    ward: str
    first_specialty: str = ""
    second_specialty: str = ""


def _shaped(value: str, pattern: re.Pattern[str], what: str, example: str) -> str:
    code = re.sub(r"\s+", "", value).upper()
    if not pattern.fullmatch(code):
        raise FftCodesError(f"{value.strip()!r} is not the shape of {what}: {example}")
    return code


def check_site_codes(codes: SiteCodes) -> SiteCodes:
    """``codes`` tidied (upper case, no spaces) and checked, or :class:`FftCodesError` saying which is wrong."""
    try:
        site = check_label("site", codes.site)
    except KioskError as exc:
        raise FftCodesError(str(exc)) from None
    org = _shaped(codes.org_code, _ORG, "an ODS organisation code", "3 to 6 letters and digits, such as RWD")
    site_code = codes.site_code.strip() and _shaped(codes.site_code, _SITE, "an ODS site code",
                                                     "5 to 9 letters and digits, such as RWDLA")
    if site_code and len(org) == 3 and org[0] in "RT" and not site_code.startswith(org):
        raise FftCodesError(f"an NHS trust's site codes start with its own code: {site_code} does not start "
                            f"with {org}")
    icb = codes.icb_code.strip() and _shaped(codes.icb_code, _ICB, "an ICB code", "Q and two more, such as QMF")
    if codes.mode not in MODES:
        raise FftCodesError(f"the collection mode must be one of: {', '.join(MODES)}")
    name = " ".join(codes.org_name.split())
    if len(name) > 200 or not name.isprintable():
        raise FftCodesError("the organisation's name must be at most 200 printable characters")
    return SiteCodes(site=site, org_code=org, org_name=name, site_code=site_code, icb_code=icb, mode=codes.mode)


def check_specialty(value: str) -> str:
    """'' for none, else a main specialty as "326" or "326 - Acute internal medicine"."""
    value = " ".join(value.split())
    if not value:
        return ""
    found = _SPECIALTY.fullmatch(value)
    if not found or len(value) > 100 or not value.isprintable():
        raise FftCodesError(f"{value!r} is not a main specialty: give its 3-digit code, optionally with its name, "
                            "such as \"710 - Adult mental illness\"")
    return found.group(1) + (f" - {found.group(2)}" if found.group(2) else "")


def check_ward(ward: Ward) -> Ward:
    try:
        name = check_label("ward or service name", ward.ward)
    except KioskError as exc:
        raise FftCodesError(str(exc)) from None
    return Ward(kiosk=ward.kiosk, ward=name, first_specialty=check_specialty(ward.first_specialty),
                second_specialty=check_specialty(ward.second_specialty))


def _upsert(connection: Connection, table: sa.Table, values: dict[str, object]) -> None:
    """Insert a row or replace the one with its key: one statement, so two admins saving at once cannot fail."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).values(**values)
    key = [column.name for column in table.primary_key.columns]
    connection.execute(statement.on_conflict_do_update(
        index_elements=key, set_={name: statement.excluded[name] for name in values if name not in key}))


def _changes(before: object | None, after: object) -> str:
    """What changed, for the audit log: "org_code RWD → RX4; mode Other → Telephone", or every value when new."""
    new = asdict(after)  # type: ignore[call-overload]
    if before is None:
        return "; ".join(f"{name} {value}" for name, value in new.items() if value)
    old = asdict(before)  # type: ignore[call-overload]
    return "; ".join(f"{name} {old[name] or '(none)'} → {new[name] or '(none)'}"
                     for name in new if old[name] != new[name]) or "no change"


def set_site_codes(connection: Connection, codes: SiteCodes, staff: str) -> SiteCodes:
    """Check and store a site's codes, and audit the change under ``staff``; returns them as stored."""
    checked = check_site_codes(codes)
    before = all_site_codes(connection).get(checked.site)
    known = set(connection.execute(sa.select(kiosks.c.site).distinct()).scalars())
    if before is None and checked.site not in known:
        raise FftCodesError(f"no kiosk stands at a site called {checked.site!r}; sites with kiosks: "
                            f"{', '.join(sorted(known)) or 'none yet'}")
    _upsert(connection, fft_sites, {**asdict(checked), "updated_at": utc_now()})
    audit(connection, staff, "fft-site-codes", checked.site, _changes(before, checked))
    return checked


def set_ward(connection: Connection, ward: Ward, staff: str) -> Ward:
    """Check and store the ward a kiosk stands in, and audit the change under ``staff``."""
    site = connection.execute(sa.select(kiosks.c.site).where(kiosks.c.name == ward.kiosk)).scalar()
    if site is None:
        raise FftCodesError(f"no kiosk named {ward.kiosk!r} (see feedback-server stats for the names)")
    checked = check_ward(ward)
    before = all_wards(connection).get(checked.kiosk)
    _upsert(connection, fft_wards, {**asdict(checked), "updated_at": utc_now()})
    audit(connection, staff, "fft-ward", site, _changes(before, checked))
    return checked


def all_site_codes(connection: Connection) -> dict[str, SiteCodes]:
    names = [field.name for field in fields(SiteCodes)]
    return {row.site: SiteCodes(**{name: row._mapping[name] for name in names})
            for row in connection.execute(sa.select(fft_sites))}


def all_wards(connection: Connection) -> dict[str, Ward]:
    names = [field.name for field in fields(Ward)]
    return {row.kiosk: Ward(**{name: row._mapping[name] for name in names})
            for row in connection.execute(sa.select(fft_wards))}
