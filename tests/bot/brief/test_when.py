"""Release times: every form a publisher may type, and every guess refused with its reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.brief.when import ReleaseTimeError, read_release, shown, zone_named

PARIS = ZoneInfo("Europe/Paris")
UTC_ZONE = ZoneInfo("UTC")
ZONES = pytest.mark.parametrize("zone", [PARIS, UTC_ZONE], ids=str)
#: Monday 7 December 2026, 08:00 in Paris (CET), 07:00 in UTC.
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
#: Tuesday 20 October 2026, before Paris's clocks go back on Sunday 25 October.
OCTOBER = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


def refusal(text: str, *, now: datetime = NOW, zone: ZoneInfo = PARIS) -> str:
    """The message `text` is refused with."""
    with pytest.raises(ReleaseTimeError) as caught:
        read_release(text, now=now, zone=zone)
    return str(caught.value)


@ZONES
@pytest.mark.parametrize(
    ("text", "wall"),
    [
        ("2026-12-08 09:00", datetime(2026, 12, 8, 9, 0)),
        ("2026-12-08T09:00", datetime(2026, 12, 8, 9, 0)),
        ("2026-12-08T09:00:30", datetime(2026, 12, 8, 9, 0, 30)),
        ("2026-12-08 9:30 pm", datetime(2026, 12, 8, 21, 30)),
        ("today 10:00", datetime(2026, 12, 7, 10, 0)),
        ("today 9:30 pm", datetime(2026, 12, 7, 21, 30)),
        ("tomorrow 9:00", datetime(2026, 12, 8, 9, 0)),
        ("  Tomorrow   09:00 ", datetime(2026, 12, 8, 9, 0)),
        ("TOMORROW at 9am", datetime(2026, 12, 8, 9, 0)),
        ("tomorrow 12am", datetime(2026, 12, 8, 0, 0)),
        ("tomorrow 12pm", datetime(2026, 12, 8, 12, 0)),
        ("tomorrow 11:59 PM", datetime(2026, 12, 8, 23, 59)),
        ("monday 09:00", datetime(2026, 12, 7, 9, 0)),  # today, still ahead
        ("mon 9:00", datetime(2026, 12, 7, 9, 0)),
        ("tues 9am", datetime(2026, 12, 8, 9, 0)),
        ("sunday 18:00", datetime(2026, 12, 13, 18, 0)),
        ("8 Dec 09:00", datetime(2026, 12, 8, 9, 0)),
        ("Dec 8 09:00", datetime(2026, 12, 8, 9, 0)),
        ("8 December 2026 09:00", datetime(2026, 12, 8, 9, 0)),
        ("December 8, 2026 at 9:00 am", datetime(2026, 12, 8, 9, 0)),
        ("8th dec 09:00", datetime(2026, 12, 8, 9, 0)),
        ("7 Dec 09:00", datetime(2026, 12, 7, 9, 0)),  # a date without a year: today included
        ("1 jan 00:30", datetime(2027, 1, 1, 0, 30)),
        ("6 Dec 09:00", datetime(2027, 12, 6, 9, 0)),  # yesterday's date: next year's
        ("sept 5 2027 10:00", datetime(2027, 9, 5, 10, 0)),
    ],
)
def test_reads_local_times_in_the_newsroom_zone(text: str, wall: datetime, zone: ZoneInfo) -> None:
    read = read_release(text, now=NOW, zone=zone)
    assert read == wall.replace(tzinfo=zone).astimezone(UTC)
    assert read.tzinfo is UTC


@ZONES
@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-12-08T09:00+01:00", datetime(2026, 12, 8, 8, 0, tzinfo=UTC)),
        ("2026-12-08T09:00Z", datetime(2026, 12, 8, 9, 0, tzinfo=UTC)),
        ("2026-12-08t09:00z", datetime(2026, 12, 8, 9, 0, tzinfo=UTC)),
        ("2026-12-08 09:00:30-0500", datetime(2026, 12, 8, 14, 0, 30, tzinfo=UTC)),
        ("2027-03-28T02:30+01:00", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),  # an offset wins
    ],
)
def test_an_offset_given_wins_over_the_zone(text: str, instant: datetime, zone: ZoneInfo) -> None:
    assert read_release(text, now=NOW, zone=zone) == instant


@ZONES
@pytest.mark.parametrize(
    ("text", "delay"),
    [
        ("in 30 minutes", timedelta(minutes=30)),
        ("in 2 hours", timedelta(hours=2)),
        ("in 1 hour 30 minutes", timedelta(minutes=90)),
        ("in 2 hours and 15 mins", timedelta(hours=2, minutes=15)),
        ("in 1h, 5m", timedelta(minutes=65)),
        ("in 90m", timedelta(minutes=90)),
        ("in 2h", timedelta(hours=2)),
        ("in 1d", timedelta(days=1)),
        ("in 2 days", timedelta(days=2)),
        ("in 366 days", timedelta(days=366)),
    ],
)
def test_reads_a_delay_as_elapsed_time(text: str, delay: timedelta, zone: ZoneInfo) -> None:
    assert read_release(text, now=NOW, zone=zone) == NOW + delay


def test_keeps_seconds_and_drops_microseconds() -> None:
    now = NOW + timedelta(seconds=12, microseconds=345_678)
    assert read_release("in 30 minutes", now=now, zone=PARIS) == NOW + timedelta(
        minutes=30, seconds=12
    )


def test_a_weekday_whose_time_has_passed_today_is_next_week() -> None:
    assert read_release("mon 7:30", now=NOW, zone=PARIS) == datetime(
        2026, 12, 14, 6, 30, tzinfo=UTC
    )
    assert read_release("mon 7:30", now=NOW, zone=UTC_ZONE) == datetime(
        2026, 12, 7, 7, 30, tzinfo=UTC
    )
    assert read_release("monday 08:00", now=NOW, zone=PARIS) == datetime(
        2026, 12, 14, 7, tzinfo=UTC
    )


def test_now_may_be_given_in_any_zone_but_must_be_aware() -> None:
    in_paris = NOW.astimezone(PARIS)
    assert read_release("in 1h", now=in_paris, zone=PARIS) == NOW + timedelta(hours=1)
    with pytest.raises(ValueError, match="aware"):
        read_release("in 1h", now=NOW.replace(tzinfo=None), zone=PARIS)


def test_a_local_time_the_clocks_skip_is_refused_naming_both_readings() -> None:
    message = refusal("2027-03-28 02:30")
    assert "never happens" in message
    assert '"2027-03-28T01:30+01:00" (Sun 28 Mar 2027 01:30 CET)' in message
    assert '"2027-03-28T03:30+02:00" (Sun 28 Mar 2027 03:30 CEST)' in message
    assert "28 mar 2027 02:30" in refusal("28 mar 2027 02:30")
    for offered in ("2027-03-28T01:30+01:00", "2027-03-28T03:30+02:00"):
        assert shown(read_release(offered, now=NOW, zone=PARIS), PARIS) in message
    assert read_release("2027-03-28 02:30", now=NOW, zone=UTC_ZONE).hour == 2


@pytest.mark.parametrize("text", ["2026-10-25 02:30", "sun 02:30", "25 Oct 2:30 am"])
def test_a_local_time_that_happens_twice_is_refused_naming_both(text: str) -> None:
    message = refusal(text, now=OCTOBER)
    assert "happens twice" in message
    assert '"2026-10-25T02:30+02:00" (Sun 25 Oct 2026 02:30 CEST)' in message
    assert '"2026-10-25T02:30+01:00" (Sun 25 Oct 2026 02:30 CET)' in message
    early = read_release("2026-10-25T02:30+02:00", now=OCTOBER, zone=PARIS)
    assert read_release("2026-10-25T02:30+01:00", now=OCTOBER, zone=PARIS) - early == timedelta(
        hours=1
    )


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        (
            "09:00",
            [
                '"tomorrow 09:00" (Tue 8 Dec 2026 09:00 CET)',
                '"today 09:00" (Mon 7 Dec 2026 09:00 CET)',
            ],
        ),
        (
            "9am",
            ['"tomorrow 9am" (Tue 8 Dec 2026 09:00 CET)', '"today 9am" (Mon 7 Dec 2026 09:00 CET)'],
        ),
        ("07:00", ['"tomorrow 07:00" (Tue 8 Dec 2026 07:00 CET)']),
    ],
)
def test_a_bare_time_is_refused_naming_the_days_it_could_be(text: str, readings: list[str]) -> None:
    message = refusal(text)
    assert all(reading in message for reading in readings)
    assert ('"today ' in message) == (len(readings) == 2)  # only when today's is still ahead


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        (
            "03/04/2027 09:00",
            [
                '"2027-04-03 09:00" (Sat 3 Apr 2027 09:00 CEST)',
                '"2027-03-04 09:00" (Thu 4 Mar 2027 09:00 CET)',
            ],
        ),
        ("3.4.2027", ['"2027-04-03 00:00" (Sat 3 Apr 2027 00:00 CEST)', '"2027-03-04 00:00"']),
        ("03/04/27 9am", ['"2027-04-03 09:00"', '"2027-03-04 09:00"']),
        ("03/04 09:00", ['"2027-04-03 09:00"', '"2027-03-04 09:00"']),
        ("05/05/2027 09:00", ['"2027-05-05 09:00" (Wed 5 May 2027 09:00 CEST)']),
        ("13/04/2027 10:00", ['"2027-04-13 10:00" (Tue 13 Apr 2027 10:00 CEST)']),
        ("31/31/2027", ["year-month-day"]),
    ],
)
def test_a_numeric_date_is_refused_naming_its_readings(text: str, readings: list[str]) -> None:
    message = refusal(text)
    assert all(reading in message for reading in readings)


@pytest.mark.parametrize(
    ("text", "midnight"),
    [
        ("2026-12-08", "Tue 8 Dec 2026 00:00 CET"),
        ("tomorrow", "Tue 8 Dec 2026 00:00 CET"),
        ("monday", "Mon 14 Dec 2026 00:00 CET"),
        ("8 Dec", "Tue 8 Dec 2026 00:00 CET"),
    ],
)
def test_a_date_without_a_time_is_refused_naming_midnight(text: str, midnight: str) -> None:
    message = refusal(text)
    assert "time of day too" in message
    assert f'"{text} 09:00"' in message
    assert midnight in message


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("today 07:00", "Mon 7 Dec 2026 07:00 CET"),
        ("7 dec 07:30", "Mon 7 Dec 2026 07:30 CET"),  # today's date, not next year's
        ("2026-12-07T06:59Z", "Mon 7 Dec 2026 07:59 CET"),
        ("in 0 minutes", "Mon 7 Dec 2026 08:00 CET"),
        ("2025-12-08 09:00", "Mon 8 Dec 2025 09:00 CET"),
    ],
)
def test_a_time_not_in_the_future_is_refused(text: str, reading: str) -> None:
    message = refusal(text)
    assert "in the past" in message
    assert reading in message
    assert '"now" option' in message


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("2027-12-09 09:00", "Thu 9 Dec 2027 09:00 CET"),
        ("in 400 days", "Tue 11 Jan 2028 08:00 CET"),
        ("in 366 days 1 minute", "Wed 8 Dec 2027 08:01 CET"),
    ],
)
def test_a_time_more_than_366_days_ahead_is_refused(text: str, reading: str) -> None:
    message = refusal(text)
    assert "366 days" in message
    assert reading in message


def test_an_absurd_delay_is_refused_not_overflowed() -> None:
    assert "within a year" in refusal("in " + "999999d " * 12)


@pytest.mark.parametrize("text", ["now", " NOW "])
def test_now_is_the_commands_own_choice(text: str) -> None:
    assert 'choose the command\'s "now" option' in refusal(text)


@pytest.mark.parametrize(
    "text",
    ["next week", "soon", "tomorrow 9", "in 2 months", "junk 9:00", "9.30", "tue 8 dec 09:00"],
)
def test_anything_else_is_refused_listing_the_forms(text: str) -> None:
    message = refusal(text)
    assert f'"{text}"' in message
    assert all(
        form in message for form in ('"tomorrow 09:00"', '"2026-12-08 09:00"', '"in 2 hours"')
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tomorrow 25:00", "no such time of day"),
        ("tomorrow 13pm", "no such time of day"),
        ("tomorrow 0am", "no such time of day"),
        ("tomorrow 09:60", "no such time of day"),
        ("2027-02-30 09:00", "calendar lacks (2027-02-30)"),
        ("29 feb 09:00", "calendar lacks (2027-02-29)"),
        ("2026-12-08T09:00+25:00", "offset"),
        ("   ", "Give a release time"),
    ],
)
def test_impossible_days_times_and_offsets_are_refused(text: str, says: str) -> None:
    assert says in refusal(text)


def test_a_long_text_is_refused_unread() -> None:
    assert "at most 100 characters" in refusal("tomorrow 09:00" + " x" * 50)
    spaced = "tomorrow" + " " * 87 + "09:00"  # 100 characters: read, spaces and all
    assert read_release(spaced, now=NOW, zone=PARIS) == datetime(2026, 12, 8, 8, tzinfo=UTC)


def test_refusals_are_value_errors() -> None:
    assert issubclass(ReleaseTimeError, ValueError)


@pytest.mark.parametrize(
    ("moment", "zone", "spelled"),
    [
        (datetime(2026, 12, 8, 8, tzinfo=UTC), PARIS, "Tue 8 Dec 2026 09:00 CET"),
        (datetime(2027, 7, 1, 7, 15, 30, tzinfo=UTC), PARIS, "Thu 1 Jul 2027 09:15:30 CEST"),
        (datetime(2026, 12, 8, 8, tzinfo=UTC), UTC_ZONE, "Tue 8 Dec 2026 08:00 UTC"),
    ],
)
def test_shown_spells_a_moment_in_the_newsroom_zone(
    moment: datetime, zone: ZoneInfo, spelled: str
) -> None:
    assert shown(moment, zone) == spelled


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", " America/New_York "])
def test_zone_named_finds_iana_zones(name: str) -> None:
    assert str(zone_named(name)) == name.strip()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Mars/Olympus", '"Mars/Olympus" is not an IANA time zone name'),
        ("europe/paris", 'did you mean "Europe/Paris"?'),
        ("Europe", "not an IANA time zone name"),
        ("../etc/passwd", "not an IANA time zone name"),
        ("", "not an IANA time zone name"),
    ],
)
def test_zone_named_refuses_unknown_names_clearly(name: str, says: str) -> None:
    with pytest.raises(ValueError, match="IANA") as caught:
        zone_named(name)
    assert says in str(caught.value)


@given(
    ahead=st.integers(min_value=1, max_value=366 * 24 * 3600),
    quarters=st.integers(min_value=-14 * 4, max_value=14 * 4),
    separator=st.sampled_from(["T", " ", "t"]),
    colon=st.booleans(),
    zulu=st.booleans(),
)
def test_an_iso_time_with_an_offset_reads_back_to_its_instant(
    ahead: int, quarters: int, separator: str, colon: bool, zulu: bool
) -> None:
    instant = NOW + timedelta(seconds=ahead)
    offset = timedelta(minutes=15 * quarters)
    hours, minutes = divmod(abs(quarters) * 15, 60)
    sign = "-" if quarters < 0 else "+"
    spelled = f"{sign}{hours:02}{':' if colon else ''}{minutes:02}"
    if zulu and not quarters:
        spelled = "Z"
    wall = instant.astimezone(timezone(offset))
    text = f"{wall:%Y-%m-%d}{separator}{wall:%H:%M:%S}{spelled}"
    assert read_release(text, now=NOW, zone=PARIS) == instant
