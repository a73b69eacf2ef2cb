"""Read the release time a publisher types, for scheduled publishing and embargoes.

Reads, case-insensitively: an ISO 8601 date and time (`2026-12-08 09:00`, `2026-12-08T09:00Z`),
whose offset, if given, wins over the newsroom's zone; `today`, `tomorrow` or a weekday with a
time (`mon 9am`: the next Monday 09:00 still ahead); a written date with a time (`8 Dec 09:00`,
`Dec 8 2026 9:30 pm`; without a year, the next such day, today included); and a delay (`in 2h`,
`in 1 hour 30 minutes`, `in 2 days`: elapsed time, whatever the clocks do).

Refuses, with a sentence naming the reading it would have taken and what to type instead: a bare
time (today or tomorrow?), a numeric date with slashes or dots (day and month could swap), a date
without a time, a local time the clocks skip or repeat, a time not in the future, one more than
366 days ahead, "now" (the command has its own choice), and anything else, listing the forms.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_LENGTH = 100
#: How far ahead a release may be set: a year, leap day included.
HORIZON = timedelta(days=366)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS: tuple[str, ...] = ("january", "february", "march", "april", "may", "june", "july")
_MONTHS += ("august", "september", "october", "november", "december")

#: A time of day: 24-hour `09:00` (`:30` seconds, a fraction dropped) or 12-hour `9am`, `9:30 pm`.
_TIME = r"(?P<h>\d{1,2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?)?(?: ?(?P<ap>[ap])m)?"
_AT = rf"(?: (?:at )?{_TIME})?"
_ISO = re.compile(
    rf"(?P<y>\d{{4}})-(?P<mo>\d{{2}})-(?P<d>\d{{2}})"
    rf"(?:[t ]{_TIME} ?(?P<off>z|[+-]\d{{2}}:?\d{{2}})?)?"
)
_DAY = re.compile(rf"(?P<day>[a-z]+){_AT}")
_WRITTEN = re.compile(
    rf"(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)? (?P<mo>[a-z]+)|(?P<mo2>[a-z]+) (?P<d2>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?)\.?(?:,? (?P<y>\d{{4}}))?,?{_AT}"
)
_NUMERIC = re.compile(
    rf"(?P<a>\d{{1,2}})(?P<sep>[/.])(?P<b>\d{{1,2}})(?:(?P=sep)(?P<y>\d{{4}}|\d{{2}}))?{_AT}"
)
_BARE = re.compile(_TIME)
_UNIT = r"(?:d|days?|h|hrs?|hours?|m|mins?|minutes?)"
_DELAY = re.compile(rf"in (?P<parts>(?:\d{{1,6}} ?{_UNIT}(?:,? (?:and )?|$))+)")
_PART = re.compile(r"(\d+) ?([dhm])")
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_FORMS = (
    'write a day and a time ("tomorrow 09:00", "friday 9am", "8 Dec 09:00"), '
    'a date and a time ("2026-12-08 09:00") or a delay ("in 2 hours")'
)


class ReleaseTimeError(ValueError):
    """A release time we will not guess at; the message is a sentence for the publisher."""


def read_release(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """Return the aware UTC time `text` names, read in the newsroom's `zone`, after `now`.

    Seconds are kept and microseconds dropped; the result is at most a year ahead. Anything
    that would need a guess raises `ReleaseTimeError` (the module's docstring lists what).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if len(text.strip()) > MAX_LENGTH:
        raise ReleaseTimeError(
            f"A release time is at most {MAX_LENGTH} characters; write one such as "
            '"tomorrow 09:00" or "in 2 hours".'
        )
    said = " ".join(text.split())
    if not said:
        raise ReleaseTimeError(f"Give a release time: {_FORMS}.")
    if said.lower() == "now":
        raise ReleaseTimeError(
            'To release at once, choose the command\'s "now" option; this field takes a later '
            'time, such as "in 2 hours".'
        )
    now = now.astimezone(UTC)
    moment = _read(said, now, zone).replace(microsecond=0)
    if moment <= now:
        raise ReleaseTimeError(
            f'"{said}" is in the past ({shown(moment, zone)}); give a later time, or choose the '
            'command\'s "now" option to release at once.'
        )
    if moment - now > HORIZON:
        raise ReleaseTimeError(
            f'"{said}" is more than {HORIZON.days} days ahead ({shown(moment, zone)}); give a '
            "time within a year."
        )
    return moment


def zone_named(name: str) -> ZoneInfo:
    """Return the IANA time zone `name` ("Europe/Paris", "UTC"), or raise a clear ValueError."""
    key = name.strip()
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    near = [known for known in available_timezones() if known.lower() == key.lower()]
    hint = f' (did you mean "{near[0]}"?)' if near else ""
    raise ValueError(
        f'"{name}" is not an IANA time zone name{hint}; use one such as "Europe/Paris", '
        '"America/New_York" or "UTC".'
    )


def shown(moment: datetime, zone: ZoneInfo) -> str:
    """Spell `moment` as the newsroom reads it: "Tue 8 Dec 2026 09:00 CET" (seconds if any)."""
    local = moment.astimezone(zone)
    day, month = _WEEKDAYS[local.weekday()][:3].title(), _MONTHS[local.month - 1][:3].title()
    return f"{day} {local.day} {month} {local.year} {_clock_text(local.time())} {local.tzname()}"


def _read(said: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Return the instant `said` names, not yet held against `now`, trying each form in turn."""
    patterns = (_ISO, _DELAY, _NUMERIC, _DAY, _WRITTEN, _BARE)
    readers = (_iso, _delay, _numeric, _on_day, _written, _bare)
    for pattern, reader in zip(patterns, readers, strict=True):
        m = pattern.fullmatch(said.lower())
        if m and (moment := reader(said, m, now, zone)) is not None:
            return moment
    raise _unreadable(said)


def _iso(said: str, m: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """Read `2026-12-08 09:00`, `2026-12-08T09:00:30+01:00` or `…Z`: an offset wins."""
    day = _day(said, int(m["y"]), int(m["mo"]), int(m["d"]))
    clock = _clock(said, m)
    if m["off"] is None or clock is None:
        return _at(said, day, clock, zone)
    try:
        offset = datetime.strptime(m["off"].upper(), "%z").tzinfo
    except ValueError:
        raise ReleaseTimeError(f'"{said}" has an offset past ±23:59; check it.') from None
    return datetime.combine(day, clock, offset).astimezone(UTC)


def _delay(said: str, m: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """Read `in 90m`, `in 2h`, `in 1 hour 30 minutes`, `in 2 days`: elapsed time from now."""
    delay = sum((int(n) * _UNITS[unit] for n, unit in _PART.findall(m["parts"])), timedelta())
    try:
        return now + delay
    except OverflowError:
        raise ReleaseTimeError(f'"{said}" is centuries ahead; give a time within a year.') from None


def _numeric(said: str, m: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """Refuse `03/04/2027 09:00` or `3.4.2027`, naming each reading and its ISO spelling."""
    if m["sep"] == "." and m["y"] is None:  # "9.30" is no date
        return None
    clock, today = _clock(said, m) or time(), now.astimezone(zone).date()
    readings: list[date] = []
    for number, month in ((int(m["a"]), int(m["b"])), (int(m["b"]), int(m["a"]))):
        year = int(m["y"]) if m["y"] else _year_ahead(today, month, number)
        try:
            readings.append(date(year + 2000 if year < 100 else year, month, number))
        except ValueError:
            continue
    readings = list(dict.fromkeys(readings))
    options = [
        f'"{day} {_clock_text(clock)}" ({shown(_lenient(day, clock, zone), zone)})'
        for day in readings
    ]
    if len(options) == 2:
        first, second = (f"{day.day} {_MONTHS[day.month - 1].title()}" for day in readings)
        raise ReleaseTimeError(
            f'"{said}" could be {first} or {second}; write {" or ".join(options)}.'
        )
    spelled = f"as {options[0]}" if options else 'year-month-day, such as "2027-04-03 09:00"'
    raise ReleaseTimeError(
        f'Slashes and dots leave day and month unclear in "{said}"; write it {spelled}.'
    )


def _on_day(said: str, m: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """Read `today 09:00`, `tomorrow 9am`, `mon 9:00`: the next such weekday still ahead."""
    today = now.astimezone(zone).date()
    if m["day"] in ("today", "tomorrow"):
        return _at(said, today + timedelta(days=int(m["day"] == "tomorrow")), _clock(said, m), zone)
    if (weekday := _named(m["day"], _WEEKDAYS)) is None:
        return None
    clock = _clock(said, m)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    if _lenient(day, clock or time(), zone) <= now:
        day += timedelta(days=7)
    return _at(said, day, clock, zone)


def _written(said: str, m: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """Read `8 Dec 09:00`, `Dec 8, 2026 9am`: without a year, the next such day, today included."""
    if (month := _named(m["mo"] or m["mo2"], _MONTHS)) is None:
        return None
    number, today = int(m["d"] or m["d2"]), now.astimezone(zone).date()
    year = int(m["y"]) if m["y"] else _year_ahead(today, month + 1, number)
    return _at(said, _day(said, year, month + 1, number), _clock(said, m), zone)


def _bare(said: str, m: re.Match[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """Refuse a time without a day (`09:00`), naming tomorrow's and, if still ahead, today's."""
    if (clock := _clock(said, m)) is None:
        return None
    today = now.astimezone(zone).date()
    later = _lenient(today + timedelta(days=1), clock, zone)
    option = f'"tomorrow {said}" ({shown(later, zone)})'
    if (sooner := _lenient(today, clock, zone)) > now:
        option += f' or "today {said}" ({shown(sooner, zone)})'
        raise ReleaseTimeError(f'"{said}" could be today or tomorrow; write {option}.')
    raise ReleaseTimeError(f'"{said}" needs a day, and today\'s has passed; write {option}.')


def _at(said: str, day: date, clock: time | None, zone: ZoneInfo) -> datetime:
    """Return `day` at `clock` in `zone`, refusing a day without a time (naming midnight's)."""
    if clock is None:
        raise ReleaseTimeError(
            f'"{said}" needs a time of day too, such as "{said} 09:00"; without one it would '
            f"be midnight, {shown(_lenient(day, time(), zone), zone)}."
        )
    naive = datetime.combine(day, clock)
    early, late = naive.replace(tzinfo=zone), naive.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    readings = sorted({early.astimezone(UTC), late.astimezone(UTC)})
    options = " or ".join(
        f'"{_clock_text(r.astimezone(zone))}" ({shown(r, zone)})' for r in readings
    )
    repeated = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    why = "happens twice (the clocks go back)" if repeated else "never happens (the clocks skip it)"
    raise ReleaseTimeError(
        f'In {zone}, {day} {_clock_text(clock)} {why}; instead of "{said}" write {options}.'
    )


def _clock(said: str, m: re.Match[str]) -> time | None:
    """Return the time of day `m` found, None if it found none; refuse one that is not a time."""
    if m["h"] is None:
        return None
    if m["mi"] is None and m["ap"] is None:  # "tomorrow 9": no minutes, no am or pm
        raise _unreadable(said)
    hour, minute, second = int(m["h"]), int(m["mi"] or 0), int(m["s"] or 0)
    if m["ap"] and 1 <= hour <= 12:
        hour = hour % 12 + (12 if m["ap"] == "p" else 0)
    elif m["ap"] or hour > 23 or minute > 59 or second > 59:
        raise ReleaseTimeError(
            f'"{said}" has no such time of day; use 00:00 to 23:59, or 12am to 11:59pm.'
        )
    return time(hour, minute, second)


def _day(said: str, year: int, month: int, number: int) -> date:
    """Return the date, refusing one the calendar lacks (30 Feb, 29 Feb outside leap years)."""
    try:
        return date(year, month, number)
    except ValueError:
        raise ReleaseTimeError(
            f'"{said}" names a day the calendar lacks ({year}-{month:02}-{number:02}); check it.'
        ) from None


def _named(word: str, names: tuple[str, ...]) -> int | None:
    """Return the index of the name `word` spells or begins with three letters or more."""
    return next((i for i, n in enumerate(names) if len(word) >= 3 and n.startswith(word)), None)


def _year_ahead(today: date, month: int, number: int) -> int:
    """Return the year of the next such day, today included, for a date written without one."""
    return today.year + ((month, number) < (today.month, today.day))


def _lenient(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """Return `day` at `clock` in `zone` as UTC, without refusing a skipped or repeated time."""
    return datetime.combine(day, clock, zone).astimezone(UTC)


def _clock_text(value: time | datetime) -> str:
    """Spell a time `09:00` or a moment `2027-03-28T03:30+02:00` in ISO 8601, seconds if any."""
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def _unreadable(said: str) -> ReleaseTimeError:
    """Return the refusal for text in none of the forms, listing them."""
    return ReleaseTimeError(f'Can\'t read "{said}" as a release time; {_FORMS}.')
