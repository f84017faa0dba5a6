"""The demo school's people: pupils in classes, teachers, library cards and a term of loans.

Every name is made up from lists of common surname and given-name characters, every phone
number is a 1380000xxxx dummy, and the same seed gives the same school. Rows are written with
bulk_create in one transaction so that `make run` stays quick.

The loan history is written here, beside the people it belongs to, straight into the
circulation tables: there is no circulation service yet, and patrons must not import
circulation (STYLE §1), so the models are looked up by name.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.demo import DEMO_PASSWORD
from shuxiang.catalog.models import Counter, Item
from shuxiang.catalog.services import note_number_used
from shuxiang.lib import grades, terms
from shuxiang.patrons.models import Patron, RetiredCard, SchoolClass
from shuxiang.patrons.services import CARD_KEY

CLASSES_PER_GRADE = 3
CLASS_SIZE = 44
TEACHERS = 60

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)
BOY_CHARS = "浩宇轩博文俊杰明辰睿泽晨阳昊天鸣嘉豪思远墨航景承志修家乐宏伟强磊鹏飞凯彬子一铭瑞"
GIRL_CHARS = "欣怡梓诗琪雨桐紫萱可馨语嫣思彤佳静雯诺若曦芷梦瑶雅琳婷悦妍晴莹雪丽娜子一涵蕊"
# Ten weekdays a fortnight: class i borrows on weekday i % 5 (借还书轮流安排表).
SCHOOL_DAYS = 5
STUDENT_LIMIT, TEACHER_LIMIT = 2, 5
STUDENT_DAYS, TEACHER_DAYS = 14, 30
DEMO_USERS = [
    # username, role, what the login is for
    ("homeroom", User.Role.HOMEROOM, "班主任：本班学生的借阅和超期"),
    ("student", User.Role.STUDENT, "学生：检索、本人的借阅"),
    ("viewer", User.Role.VIEWER, "校长、教导处：报表"),
]


@dataclass
class PatronDemoReport:
    classes: int = 0
    students: int = 0
    teachers: int = 0
    loans: int = 0
    open_loans: int = 0
    overdue: int = 0
    seconds: float = 0.0


@dataclass
class _Person:
    patron: Patron
    limit: int
    days: int
    pool: list[int]  # the items this patron would pick from
    open: int = 0


@dataclass(order=True)
class _Return:
    day: date
    item_id: int = field(compare=False)
    person: _Person = field(compare=False)


@dataclass
class _LoanRow:
    item_id: int
    patron: Patron
    checked_out_on: date
    due_on: date
    checked_out_at: datetime
    returned_at: datetime | None

    def fields(self) -> dict[str, Any]:
        patron = self.patron
        return {
            **self.__dict__,
            "school_class": patron.school_class,
            "patron_type": patron.type,
            "patron_category": patron.category,
            "via": "desk",
        }


def load_demo_patrons(
    *,
    seed: int = 0,
    today: date | None = None,
    classes_per_grade: int = CLASSES_PER_GRADE,
    class_size: int = CLASS_SIZE,
    teachers: int = TEACHERS,
) -> PatronDemoReport:
    """Fill an empty school with classes, pupils, teachers and a term of loans, all or nothing."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        if SchoolClass.objects.filter(graduated_on__isnull=True).exists():
            raise ValueError("the school already has classes")
        school = _School(random.Random(seed + 101), today)
        # One homeroom teacher per class at least.
        needed = len(grades.grade_range(settings.SHUXIANG_SCHOOL_TYPE)) * classes_per_grade
        staff = school.add_teachers(max(teachers, needed))
        classes = school.add_classes(classes_per_grade, staff)
        pupils = school.add_students(classes, class_size)
        school.add_assistants(classes, pupils)
        report = PatronDemoReport(len(classes), len(pupils), len(staff))
        _Lending(random.Random(seed + 202), today).run(classes, pupils, staff, report)
        school.finish()
        _analyze()
        AuditLog.record(
            "demo_patrons_loaded",
            by=None,
            via="cli",
            classes=report.classes,
            students=report.students,
            teachers=report.teachers,
            loans=report.loans,
            seed=seed,
        )
    report.seconds = time.perf_counter() - started
    return report


def chinese_name(rng: random.Random, gender: str) -> str:
    chars = BOY_CHARS if gender == Patron.Gender.MALE else GIRL_CHARS
    given = rng.choice(chars)
    if rng.random() < 0.7:
        given += rng.choice(chars.replace(given, ""))
    return rng.choice(SURNAMES) + given


class _School:
    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.school_year = terms.school_year(today)
        self.cards = _CardNumbers()

    def _gender(self, female_share: float) -> str:
        return Patron.Gender.FEMALE if self.rng.random() < female_share else Patron.Gender.MALE

    def add_teachers(self, count: int) -> list[Patron]:
        taken = set(Patron.objects.exclude(staff_number="").values_list("staff_number", flat=True))
        numbers = (f"JS{n:04d}" for n in range(1, 10_000) if f"JS{n:04d}" not in taken)
        rows = []
        for number in list(numbers)[:count]:
            gender = self._gender(0.75)  # most primary-school teachers are women
            rows.append(
                Patron(
                    card_number=self.cards.next(),
                    name=chinese_name(self.rng, gender),
                    type=Patron.Type.TEACHER,
                    gender=gender,
                    staff_number=number,
                    card_issued_on=date(self.school_year, 9, 1),
                )
            )
        return Patron.objects.bulk_create(rows)

    def add_classes(self, per_grade: int, staff: list[Patron]) -> list[SchoolClass]:
        school_grades = grades.grade_range(settings.SHUXIANG_SCHOOL_TYPE)
        rows: list[SchoolClass] = []
        for grade in school_grades:
            for number in range(1, per_grade + 1):
                rows.append(
                    SchoolClass(
                        grade=grade,
                        number=number,
                        enrolment_year=self.school_year - (grade - school_grades.start),
                        homeroom_teacher=staff[len(rows)],
                    )
                )
        return SchoolClass.objects.bulk_create(rows)

    def add_students(self, classes: list[SchoolClass], size: int) -> list[Patron]:
        first_grade = grades.grade_range(settings.SHUXIANG_SCHOOL_TYPE).start
        rows = []
        for c in classes:
            names: set[str] = set()
            seats = size + (self.rng.randint(-2, 2) if size >= 10 else 0)
            for seat in range(1, seats + 1):
                gender = self._gender(0.48)
                name = chinese_name(self.rng, gender)
                while name in names:  # two 王浩 in one class would confuse the demo
                    name = chinese_name(self.rng, gender)
                names.add(name)
                rows.append(self._student(c, seat, name, gender, first_grade))
        return Patron.objects.bulk_create(rows, batch_size=500)

    def _student(self, c: SchoolClass, seat: int, name: str, gender: str, first: int) -> Patron:
        year = c.enrolment_year or self.school_year
        phone = f"1380000{self.rng.randint(0, 9999):04d}" if self.rng.random() < 0.25 else ""
        return Patron(
            card_number=self.cards.next(),
            name=name,
            type=Patron.Type.STUDENT,
            gender=gender,
            # 学号: year of enrolment, grade at enrolment, class, seat — 2021010101.
            student_number=f"{year}{first:02d}{c.number:02d}{seat:02d}",
            school_class=c,
            enrolment_year=year,
            guardian_phone=phone,
            card_issued_on=date(year, 9, 1),
        )

    def add_assistants(self, classes: list[SchoolClass], pupils: list[Patron]) -> None:
        through = SchoolClass.assistants.through
        rows = []
        for c in classes:
            # 小图书管理员: two pupils of each class help at the desk.
            mine = [p for p in pupils if p.school_class_id == c.pk]
            for pupil in self.rng.sample(mine, min(2, len(mine))):
                rows.append(through(schoolclass_id=c.pk, patron_id=pupil.pk))
        through._default_manager.bulk_create(rows)

    def finish(self) -> None:
        self.cards.finish()


class _CardNumbers:
    """Automatic card numbers handed out in bulk, as services.next_card_number would."""

    def __init__(self) -> None:
        self.prefix = str(settings.SHUXIANG_CARD_PREFIX)
        self.digits = int(settings.SHUXIANG_CARD_DIGITS)
        counter = Counter.objects.filter(key=CARD_KEY).values_list("value", flat=True).first()
        self.number = counter or 0
        starts = {"card_number__startswith": self.prefix}
        self.used = set(Patron.objects.filter(**starts).values_list("card_number", flat=True))
        self.used |= set(
            RetiredCard.objects.filter(number__startswith=self.prefix).values_list(
                "number", flat=True
            )
        )
        self.used |= set(
            Item.objects.filter(barcode__startswith=self.prefix).values_list("barcode", flat=True)
        )

    def next(self) -> str:
        while True:
            self.number += 1
            card = f"{self.prefix}{str(self.number).zfill(self.digits)}"
            if card not in self.used:
                return card

    def finish(self) -> None:
        note_number_used(CARD_KEY, self.number)


class _Lending:
    """A term of noon lending, day by day: returns first, then the day's classes borrow.

    Each copy is lent to one patron at a time (the open-loan constraint), and patrons keep
    to their limits, because the simulation hands a copy out only while it is on the shelf.
    """

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.term = terms.term_of(today)
        self.out: set[int] = set()
        self.returns: list[_Return] = []
        self.loans: list[_LoanRow] = []
        self.loan_model = apps.get_model("circulation", "Loan")
        self.fine_model = apps.get_model("circulation", "Fine")

    def run(
        self,
        classes: list[SchoolClass],
        pupils: list[Patron],
        staff: list[Patron],
        report: PatronDemoReport,
    ) -> None:
        items = self._lendable_items()
        if not items:
            return
        by_grade = {
            g: [pk for pk, low, high in items if _suits(g, low, high)] for g in range(1, 13)
        }
        everything = [pk for pk, _, _ in items]
        class_of = {c.pk: (i, c) for i, c in enumerate(classes)}
        rota: dict[int, list[_Person]] = {day: [] for day in range(SCHOOL_DAYS)}
        for pupil in pupils:
            position, pupil.school_class = class_of[pupil.school_class_id or 0]
            pool = by_grade[pupil.school_class.grade] or everything
            rota[position % SCHOOL_DAYS].append(_Person(pupil, STUDENT_LIMIT, STUDENT_DAYS, pool))
        teachers = [_Person(t, TEACHER_LIMIT, TEACHER_DAYS, everything) for t in staff]
        day = self.term.start
        while day <= self.today:
            if day.weekday() < SCHOOL_DAYS:
                self._lending_day(day, rota[day.weekday()], teachers)
            day += timedelta(days=1)
        self._write(report)

    def _lendable_items(self) -> list[tuple[int, int | None, int | None]]:
        # Only copies on the shelf since before the term and in a room that lends them home.
        shelved = Item.objects.filter(
            status=Item.Status.ON_SHELF,
            location__lends=True,
            location__room_only=False,
            received_on__lt=self.term.start,
        )
        return list(shelved.values_list("pk", "record__grade_min", "record__grade_max"))

    def _lending_day(self, day: date, pupils: list[_Person], teachers: list[_Person]) -> None:
        while self.returns and self.returns[0].day <= day:
            back = heapq.heappop(self.returns)
            self.out.discard(back.item_id)
            back.person.open -= 1
        for person in pupils:
            wanted = self.rng.choices((0, 1, 2), weights=(40, 50, 10))[0]
            for _ in range(wanted):
                self._borrow(person, day)
        for person in teachers:
            if self.rng.random() < 0.05:
                self._borrow(person, day)

    def _borrow(self, person: _Person, day: date) -> None:
        if person.open >= person.limit:
            return
        for _ in range(8):  # a few tries at a copy that is on the shelf
            item_id = self.rng.choice(person.pool)
            if item_id not in self.out:
                break
        else:
            return
        returned = self._return_day(day, person.days)
        minute = self.rng.randint(0, 24)  # noon lending: 11:30 to 12:30
        self.loans.append(
            _LoanRow(
                item_id=item_id,
                patron=person.patron,
                checked_out_on=day,
                due_on=day + timedelta(days=person.days),
                checked_out_at=_at(day, 11, 35 + minute),
                returned_at=_at(returned, 11, 31 + minute // 6) if returned else None,
            )
        )
        self.out.add(item_id)
        person.open += 1
        if returned:
            heapq.heappush(self.returns, _Return(returned, item_id, person))

    def _return_day(self, day: date, days: int) -> date | None:
        """Most books come back at the class's next turn or the one after; a few late; a
        very few not at all. None while the book is still out today."""
        roll = self.rng.random()
        if roll < 0.003:
            return None
        if roll < 0.6:
            back = day + timedelta(days=7)
        elif roll < 0.95:
            back = day + timedelta(days=days)
        else:
            back = day + timedelta(days=days + 7 * self.rng.randint(1, 3))
        return back if back <= self.today else None

    def _write(self, report: PatronDemoReport) -> None:
        loans = self.loan_model.objects.bulk_create(
            [self.loan_model(**row.fields()) for row in self.loans], batch_size=2000
        )
        open_items = sorted(self.out)
        for start in range(0, len(open_items), 500):
            Item.objects.filter(pk__in=open_items[start : start + 500]).update(
                status=Item.Status.ON_LOAN
            )
        report.loans = len(loans)
        report.open_loans = len(open_items)
        report.overdue = sum(
            1 for row in self.loans if row.returned_at is None and row.due_on < self.today
        )
        self._compensation(loans)

    def _compensation(self, loans: Sequence[Any]) -> None:
        # A few damaged books to pay for in the top grade, so that the rollover's 离校清还
        # list has money on it as well as books.
        top = grades.top_grade(settings.SHUXIANG_SCHOOL_TYPE)
        done = [
            (loan, row)
            for loan, row in zip(loans, self.loans, strict=True)
            if row.returned_at and row.patron.grade == top
        ]
        picked = self.rng.sample(done, min(3, len(done)))
        for (loan, row), amount in zip(picked, (10, 15, 20), strict=False):
            self.fine_model.objects.create(
                patron=row.patron,
                loan=loan,
                item_id=row.item_id,
                reason="damaged",
                amount=Decimal(amount).quantize(Decimal("0.01")),
                notes="演示：封面撕破",
            )


def _suits(grade: int, low: int | None, high: int | None) -> bool:
    return (low or 1) <= grade <= (high or 12)


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock(hour, minute)))


def _analyze() -> None:
    # Thousands of new loans: let the planner know before the first class page is opened.
    tables = [
        m._meta.db_table for m in (Patron, SchoolClass, apps.get_model("circulation", "Loan"))
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def ensure_demo_users() -> list[str]:
    """The homeroom, student and viewer logins, linked to demo patrons; returns those created."""
    created = []
    for username, role, _purpose in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        patron = _patron_for(role)
        if role != User.Role.VIEWER and patron is None:
            continue
        user = User(username=username, role=role, display_name=patron.name if patron else "")
        if role == User.Role.VIEWER:
            user.display_name = "教导处"
        user.set_password(DEMO_PASSWORD)
        user.save()
        if patron is not None:
            Patron.objects.filter(pk=patron.pk).update(user=user)
        AuditLog.record("user_added", by=None, target=user, via="cli", role=role, demo=True)
        created.append(username)
    return created


def demo_class() -> SchoolClass | None:
    """三年级(2)班, or the nearest current class with a homeroom teacher free to log in."""
    current = SchoolClass.objects.filter(
        graduated_on__isnull=True,
        homeroom_teacher__isnull=False,
        homeroom_teacher__user__isnull=True,
    )
    classes = list(current.order_by("grade", "number"))
    # Middle grades have the most to show: a few terms of loans, no graduation yet.
    for wanted in ((3, 2), (3, None)):
        for c in classes:
            if c.grade == wanted[0] and wanted[1] in (None, c.number):
                return c
    return classes[0] if classes else None


def _patron_for(role: str) -> Patron | None:
    if role == User.Role.HOMEROOM:
        c = demo_class()
        return c.homeroom_teacher if c else None
    if role == User.Role.STUDENT:
        homeroom = User.objects.filter(username="homeroom").first()
        classes = SchoolClass.objects.filter(homeroom_teacher__user=homeroom, graduated_on=None)
        pupils = Patron.objects.filter(
            school_class__in=classes, status=Patron.Status.ACTIVE, user__isnull=True
        )
        return pupils.order_by("student_number").first()
    return None


def login_lines() -> list[tuple[str, str]]:
    """(username, what it is for) of the demo logins that exist, with their class."""
    users = {u.username: u for u in User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS])}
    lines = []
    for username, _role, purpose in DEMO_USERS:
        user = users.get(username)
        if user is None:
            continue
        patron = Patron.objects.filter(user=user).select_related("school_class").first()
        if username == "homeroom" and patron is not None:
            mine = patron.homeroom_classes.filter(graduated_on=None).first()
            purpose += f"（{mine.label}，{patron.name}）" if mine else ""
        elif username == "student" and patron is not None and patron.school_class:
            purpose += f"（{patron.school_class.label}，{patron.name}）"
        lines.append((username, purpose))
    return lines
