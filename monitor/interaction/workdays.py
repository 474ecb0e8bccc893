"""China's working days, for reply deadlines: the State Council's holidays and the weekend days
made working days in exchange (调休), from the ``chinese_calendar`` package, which carries each
year's announced schedule; ``[interaction] holidays`` / ``workdays`` add or correct days (a
new year's schedule before the package knows it). For a year neither knows, Monday–Friday
less the fixed-date statutory holidays (元旦, 劳动节, 国庆 1–3 October): a deadline is then
never earlier than the real one would be for those days, so nobody is late by our mistake."""
from __future__ import annotations

from datetime import date
from typing import Iterable

import chinese_calendar

# 《全国年节及纪念日放假办法》: the holidays fixed by date (the lunar ones move every year).
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


class WorkCalendar:
    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    @classmethod
    def from_settings(cls, settings) -> "WorkCalendar":
        return cls(settings.interaction.holidays, settings.interaction.workdays)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year whose schedule the package does not carry
            return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS
