"""Working hours: each inbox's week (Chatwoot's ``WorkingHour`` and ``OutOfOffisable``).

A week is seven days, ``day_of_week`` 0 = Sunday … 6 = Saturday. Every inbox gets Chatwoot's default
week when it is created (Monday to Friday 9:00-17:00, the weekend closed); an inbox without rows (none
should exist after migration 0011) reads as that default week.

Time zones: an inbox's ``timezone`` is an IANA name (``Asia/Kolkata``) or one of the Rails names
Chatwoot's dashboard offers (``Eastern Time (US & Canada)``, ``Chennai``…); :func:`zone_of` maps the
latter to IANA (ActiveSupport's mapping). An unknown name reads as UTC.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.errors import ValidationFailed
from frontdesk.inboxes.schemas import WorkingHour, WorkingHourParams
from frontdesk.kit.time import utc_now
from frontdesk.models import working_hours

DAYS = range(7)
SUNDAY, SATURDAY = 0, 6

# ActiveSupport::TimeZone::MAPPING: the Rails zone names Chatwoot stores, and their IANA zones.
RAILS_TIME_ZONES: dict[str, str] = {
    "International Date Line West": "Etc/GMT+12",
    "Midway Island": "Pacific/Midway",
    "American Samoa": "Pacific/Pago_Pago",
    "Hawaii": "Pacific/Honolulu",
    "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Tijuana": "America/Tijuana",
    "Mountain Time (US & Canada)": "America/Denver",
    "Arizona": "America/Phoenix",
    "Chihuahua": "America/Chihuahua",
    "Mazatlan": "America/Mazatlan",
    "Central Time (US & Canada)": "America/Chicago",
    "Saskatchewan": "America/Regina",
    "Guadalajara": "America/Mexico_City",
    "Mexico City": "America/Mexico_City",
    "Monterrey": "America/Monterrey",
    "Central America": "America/Guatemala",
    "Eastern Time (US & Canada)": "America/New_York",
    "Indiana (East)": "America/Indiana/Indianapolis",
    "Bogota": "America/Bogota",
    "Lima": "America/Lima",
    "Quito": "America/Lima",
    "Atlantic Time (Canada)": "America/Halifax",
    "Caracas": "America/Caracas",
    "La Paz": "America/La_Paz",
    "Santiago": "America/Santiago",
    "Puerto Rico": "America/Puerto_Rico",
    "Newfoundland": "America/St_Johns",
    "Brasilia": "America/Sao_Paulo",
    "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Montevideo": "America/Montevideo",
    "Georgetown": "America/Guyana",
    "Greenland": "America/Nuuk",
    "Mid-Atlantic": "Atlantic/South_Georgia",
    "Azores": "Atlantic/Azores",
    "Cape Verde Is.": "Atlantic/Cape_Verde",
    "Dublin": "Europe/Dublin",
    "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon",
    "London": "Europe/London",
    "Casablanca": "Africa/Casablanca",
    "Monrovia": "Africa/Monrovia",
    "UTC": "Etc/UTC",
    "Belgrade": "Europe/Belgrade",
    "Bratislava": "Europe/Bratislava",
    "Budapest": "Europe/Budapest",
    "Ljubljana": "Europe/Ljubljana",
    "Prague": "Europe/Prague",
    "Sarajevo": "Europe/Sarajevo",
    "Skopje": "Europe/Skopje",
    "Warsaw": "Europe/Warsaw",
    "Zagreb": "Europe/Zagreb",
    "Brussels": "Europe/Brussels",
    "Copenhagen": "Europe/Copenhagen",
    "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris",
    "Amsterdam": "Europe/Amsterdam",
    "Berlin": "Europe/Berlin",
    "Bern": "Europe/Zurich",
    "Zurich": "Europe/Zurich",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Vienna": "Europe/Vienna",
    "West Central Africa": "Africa/Algiers",
    "Bucharest": "Europe/Bucharest",
    "Cairo": "Africa/Cairo",
    "Helsinki": "Europe/Helsinki",
    "Kyiv": "Europe/Kyiv",
    "Riga": "Europe/Riga",
    "Sofia": "Europe/Sofia",
    "Tallinn": "Europe/Tallinn",
    "Vilnius": "Europe/Vilnius",
    "Athens": "Europe/Athens",
    "Istanbul": "Europe/Istanbul",
    "Minsk": "Europe/Minsk",
    "Jerusalem": "Asia/Jerusalem",
    "Harare": "Africa/Harare",
    "Pretoria": "Africa/Johannesburg",
    "Kaliningrad": "Europe/Kaliningrad",
    "Moscow": "Europe/Moscow",
    "St. Petersburg": "Europe/Moscow",
    "Volgograd": "Europe/Volgograd",
    "Samara": "Europe/Samara",
    "Kuwait": "Asia/Kuwait",
    "Riyadh": "Asia/Riyadh",
    "Nairobi": "Africa/Nairobi",
    "Baghdad": "Asia/Baghdad",
    "Tehran": "Asia/Tehran",
    "Abu Dhabi": "Asia/Muscat",
    "Muscat": "Asia/Muscat",
    "Baku": "Asia/Baku",
    "Tbilisi": "Asia/Tbilisi",
    "Yerevan": "Asia/Yerevan",
    "Kabul": "Asia/Kabul",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "Islamabad": "Asia/Karachi",
    "Karachi": "Asia/Karachi",
    "Tashkent": "Asia/Tashkent",
    "Chennai": "Asia/Kolkata",
    "Kolkata": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Kathmandu": "Asia/Kathmandu",
    "Astana": "Asia/Dhaka",
    "Dhaka": "Asia/Dhaka",
    "Sri Jayawardenepura": "Asia/Colombo",
    "Almaty": "Asia/Almaty",
    "Novosibirsk": "Asia/Novosibirsk",
    "Rangoon": "Asia/Yangon",
    "Bangkok": "Asia/Bangkok",
    "Hanoi": "Asia/Bangkok",
    "Jakarta": "Asia/Jakarta",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "Beijing": "Asia/Shanghai",
    "Chongqing": "Asia/Chongqing",
    "Hong Kong": "Asia/Hong_Kong",
    "Urumqi": "Asia/Urumqi",
    "Kuala Lumpur": "Asia/Kuala_Lumpur",
    "Singapore": "Asia/Singapore",
    "Taipei": "Asia/Taipei",
    "Perth": "Australia/Perth",
    "Irkutsk": "Asia/Irkutsk",
    "Ulaanbaatar": "Asia/Ulaanbaatar",
    "Seoul": "Asia/Seoul",
    "Osaka": "Asia/Tokyo",
    "Sapporo": "Asia/Tokyo",
    "Tokyo": "Asia/Tokyo",
    "Yakutsk": "Asia/Yakutsk",
    "Darwin": "Australia/Darwin",
    "Adelaide": "Australia/Adelaide",
    "Canberra": "Australia/Melbourne",
    "Melbourne": "Australia/Melbourne",
    "Sydney": "Australia/Sydney",
    "Brisbane": "Australia/Brisbane",
    "Hobart": "Australia/Hobart",
    "Vladivostok": "Asia/Vladivostok",
    "Guam": "Pacific/Guam",
    "Port Moresby": "Pacific/Port_Moresby",
    "Magadan": "Asia/Magadan",
    "Srednekolymsk": "Asia/Srednekolymsk",
    "Solomon Is.": "Pacific/Guadalcanal",
    "New Caledonia": "Pacific/Noumea",
    "Fiji": "Pacific/Fiji",
    "Kamchatka": "Asia/Kamchatka",
    "Marshall Is.": "Pacific/Majuro",
    "Auckland": "Pacific/Auckland",
    "Wellington": "Pacific/Auckland",
    "Nuku'alofa": "Pacific/Tongatapu",
    "Tokelau Is.": "Pacific/Fakaofo",
    "Chatham Is.": "Pacific/Chatham",
    "Samoa": "Pacific/Apia",
}


# --- time zones ------------------------------------------------------------------------------------


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_known_timezone(name: str) -> bool:
    """An IANA zone or a Rails zone name (when the machine has no tz database, every name passes)."""
    names = _iana_names()
    return not names or name in names or name in RAILS_TIME_ZONES


@cache
def zone_of(name: str | None) -> tzinfo:
    """The zone of an inbox's ``timezone`` (IANA or Rails name); UTC when unknown."""
    if not name:
        return UTC
    for candidate in (RAILS_TIME_ZONES.get(name), name):
        if candidate is None:
            continue
        try:
            return zoneinfo.ZoneInfo(candidate)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return UTC


def utc_offset(timezone: str | None, now: datetime | None = None) -> str:
    """The zone's offset from UTC at ``now`` (default: this moment), as ``+05:30`` / ``-04:00``
    (Chatwoot's ``ActiveSupport::TimeZone#formatted_offset``, which the widget shows as ``utcOffset``)."""
    moment = (now or utc_now()).astimezone(zone_of(timezone))
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# --- the week --------------------------------------------------------------------------------------


def default_day(day: int) -> WorkingHour:
    if day in (SUNDAY, SATURDAY):
        return WorkingHour(day, True, None, None, None, None, False)
    return WorkingHour(day, False, 9, 0, 17, 0, False)


def default_week() -> list[WorkingHour]:
    """The week every Chatwoot inbox starts with: Monday to Friday 9:00-17:00, the weekend closed."""
    return [default_day(day) for day in DAYS]


def _from_row(row: Any) -> WorkingHour:
    return WorkingHour(
        day_of_week=row.day_of_week,
        closed_all_day=bool(row.closed_all_day),
        open_hour=row.open_hour,
        open_minutes=row.open_minutes,
        close_hour=row.close_hour,
        close_minutes=row.close_minutes,
        open_all_day=bool(row.open_all_day),
    )


def _complete(days: Iterable[WorkingHour]) -> list[WorkingHour]:
    """Sunday to Saturday, a missing day taken from the default week."""
    found = {day.day_of_week: day for day in days}
    return [found.get(day) or default_day(day) for day in DAYS]


async def load_working_hours(conn: AsyncConnection, inbox_id: int) -> list[WorkingHour]:
    """The inbox's week, Sunday first (the default week where it has no rows)."""
    return (await load_weeks(conn, [inbox_id]))[inbox_id]


async def load_weeks(conn: AsyncConnection, inbox_ids: Sequence[int]) -> dict[int, list[WorkingHour]]:
    """The weeks of these inboxes in one statement."""
    wanted = sorted(set(inbox_ids))
    by_inbox: dict[int, list[WorkingHour]] = {inbox_id: [] for inbox_id in wanted}
    if wanted:
        result = await conn.execute(
            select(working_hours)
            .where(working_hours.c.inbox_id.in_(wanted))
            .order_by(working_hours.c.inbox_id, working_hours.c.day_of_week)
        )
        for row in result:
            by_inbox[row.inbox_id].append(_from_row(row))
    return {inbox_id: _complete(days) for inbox_id, days in by_inbox.items()}


async def load_working_hour_rows(conn: AsyncConnection, inbox_id: int) -> list[Any]:
    """The stored rows themselves (the inbox webhook payload shows them whole, as Chatwoot's ``as_json``)."""
    result = await conn.execute(
        select(working_hours).where(working_hours.c.inbox_id == inbox_id).order_by(working_hours.c.day_of_week)
    )
    return list(result)


def _row_values(inbox_id: int, account_id: int, day: WorkingHour, now: datetime) -> dict[str, Any]:
    return {
        "inbox_id": inbox_id,
        "account_id": account_id,
        "day_of_week": day.day_of_week,
        "closed_all_day": day.closed_all_day,
        "open_hour": day.open_hour,
        "open_minutes": day.open_minutes,
        "close_hour": day.close_hour,
        "close_minutes": day.close_minutes,
        "open_all_day": day.open_all_day,
        "created_at": now,
        "updated_at": now,
    }


async def write_week(conn: AsyncConnection, inbox_id: int, account_id: int, week: Sequence[WorkingHour]) -> None:
    """Store the inbox's week, replacing the rows it had (one DELETE and one INSERT)."""
    now = utc_now()
    await conn.execute(delete(working_hours).where(working_hours.c.inbox_id == inbox_id))
    await conn.execute(insert(working_hours), [_row_values(inbox_id, account_id, day, now) for day in _complete(week)])


# --- validation ------------------------------------------------------------------------------------


def _invalid(index: int, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"Working hours {message}", [f"working_hours[{index}].{field}"])


def apply_changes(week: Sequence[WorkingHour], changes: Sequence[WorkingHourParams]) -> list[WorkingHour]:
    """``week`` with Chatwoot's ``update_working_hours(params)`` applied: each entry changes the day it
    names (attributes it leaves out keep their value), in order; the result is validated as
    ``WorkingHour`` validates, a bad entry answering 422 naming ``working_hours[<index>].<field>``."""
    days = {day.day_of_week: day for day in _complete(week)}
    for index, change in enumerate(changes):
        if change.day_of_week not in DAYS:
            raise _invalid(index, "day_of_week", "day of week must be between 0 (Sunday) and 6 (Saturday)")
        current = days[change.day_of_week]
        values = {
            "closed_all_day": current.closed_all_day,
            "open_hour": current.open_hour,
            "open_minutes": current.open_minutes,
            "close_hour": current.close_hour,
            "close_minutes": current.close_minutes,
            "open_all_day": current.open_all_day,
        }
        for name in values:
            given = getattr(change, name)
            if given is not msgspec.UNSET:
                values[name] = given
        if values["closed_all_day"] is None:
            values["closed_all_day"] = False
        if values["open_all_day"] is None:
            values["open_all_day"] = False
        days[change.day_of_week] = _validated(index, change.day_of_week, values)
    return [days[day] for day in DAYS]


def _validated(index: int, day_of_week: int, values: dict[str, Any]) -> WorkingHour:
    closed, open_all_day = bool(values["closed_all_day"]), bool(values["open_all_day"])
    if closed and open_all_day:
        raise _invalid(index, "open_all_day", "open_all_day and closed_all_day cannot be true at the same time")
    if open_all_day:
        # WorkingHour#ensure_open_all_day_hours
        values.update(open_hour=0, open_minutes=0, close_hour=23, close_minutes=59)
    if not closed:
        for field, highest in (("open_hour", 23), ("open_minutes", 59), ("close_hour", 23), ("close_minutes", 59)):
            value = values[field]
            if value is None:
                raise _invalid(index, field, f"{field.replace('_', ' ')} can't be blank")
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
                raise _invalid(index, field, f"{field.replace('_', ' ')} must be between 0 and {highest}")
        opens = values["open_hour"] * 60 + values["open_minutes"]
        closes = values["close_hour"] * 60 + values["close_minutes"]
        if opens >= closes:
            raise _invalid(index, "close_hour", "closing time cannot be before opening time")
    return WorkingHour(
        day_of_week=day_of_week,
        closed_all_day=closed,
        open_hour=values["open_hour"],
        open_minutes=values["open_minutes"],
        close_hour=values["close_hour"],
        close_minutes=values["close_minutes"],
        open_all_day=open_all_day,
    )


# --- out of office ---------------------------------------------------------------------------------


def local_day_of_week(moment: datetime) -> int:
    """0 = Sunday … 6 = Saturday (Ruby's ``wday``; Python's ``weekday()`` starts on Monday)."""
    return (moment.weekday() + 1) % 7


def is_open_at(day: WorkingHour, local: datetime) -> bool:
    """Chatwoot's ``WorkingHour#open_at?``: inside [open, close] of that local day (both ends included)."""
    if day.closed_all_day:
        return False
    if day.open_all_day:
        return True
    if None in (day.open_hour, day.open_minutes, day.close_hour, day.close_minutes):
        return False
    assert day.open_hour is not None and day.open_minutes is not None
    assert day.close_hour is not None and day.close_minutes is not None
    opens = local.replace(hour=day.open_hour, minute=day.open_minutes, second=0, microsecond=0)
    closes = local.replace(hour=day.close_hour, minute=day.close_minutes, second=0, microsecond=0)
    return opens <= local <= closes


def is_out_of_office(inbox_row: Any, week: Sequence[WorkingHour], now: datetime | None = None) -> bool:
    """Chatwoot's ``Inbox#out_of_office?``: working hours are enabled and today's hours, in the inbox's
    time zone, say closed at ``now`` (default: this moment)."""
    if not inbox_row.working_hours_enabled:
        return False
    local = (now or utc_now()).astimezone(zone_of(inbox_row.timezone))
    today = local_day_of_week(local)
    day = next((day for day in week if day.day_of_week == today), None) or default_day(today)
    return not is_open_at(day, local)
