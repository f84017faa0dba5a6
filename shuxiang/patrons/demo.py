"""The demo school's people: pupils in classes, teachers and their library cards.

Every name is made up from lists of common surname and given-name characters, every phone
number is a 1380000xxxx dummy, and the same seed gives the same school. Rows are written with
bulk_create in one transaction so that `make run` stays quick. Their term of loans comes from
circulation.demo (circulation builds on patrons, not the other way round).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date

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
    seconds: float = 0.0


def load_demo_patrons(
    *,
    seed: int = 0,
    today: date | None = None,
    classes_per_grade: int = CLASSES_PER_GRADE,
    class_size: int = CLASS_SIZE,
    teachers: int = TEACHERS,
) -> PatronDemoReport:
    """Fill an empty school with classes, pupils and teachers, all or nothing."""
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
        school.finish()
        _analyze()
        AuditLog.record(
            "demo_patrons_loaded",
            by=None,
            via="cli",
            classes=report.classes,
            students=report.students,
            teachers=report.teachers,
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


def _analyze() -> None:
    # Hundreds of new pupils: let the planner know before the first class page is opened.
    with connection.cursor() as cursor:
        for model in (Patron, SchoolClass):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


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
