"""School years and terms by the usual Chinese calendar, until a school sets its own.

The autumn term (第一学期) runs from September into January, the spring term (第二学期) from
February into July; the school year (学年) starts on 1 September. The circulation calendar
will replace these defaults with the school's own term dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Term:
    school_year: int  # 2026 for the school year 2026–2027
    number: int  # 1 autumn, 2 spring
    start: date
    end: date

    @property
    def label(self) -> str:
        which = "第一学期" if self.number == 1 else "第二学期"
        return f"{self.school_year}—{self.school_year + 1}学年{which}"


def school_year(on: date) -> int:
    """The school year a day belongs to: August counts towards the year about to start."""
    return on.year if on.month >= 8 else on.year - 1


def term_of(on: date) -> Term:
    year = school_year(on)
    if on.month >= 8 or on.month == 1:
        return Term(year, 1, date(year, 8, 1), date(year + 1, 1, 31))
    return Term(year, 2, date(year + 1, 2, 1), date(year + 1, 7, 31))
