"""Roster import (花名册导入): check a school roster against the library, then import it.

check_roster() plans: which rows add a patron, which update one (matched by 学号 for
students, 工号 for teachers and staff, else by card number), which change nothing and which
are wrong, each with its reasons in the librarian's words. import_roster() plans again inside
one transaction and writes the good rows (or nothing, if the user asked for all or nothing).

Everything the checks need is read up front into dictionaries, and the writes are batched,
so a roster of 30,000 rows costs a handful of queries, not one per row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.catalog.services import next_number, note_number_used
from shuxiang.jobs.models import Job
from shuxiang.jobs.services import JobFailed, upload_path
from shuxiang.lib import barcodes, grades, terms
from shuxiang.lib.roster import Problem, Roster, RosterFileError, RosterRow, read_roster
from shuxiang.patrons.models import Patron, RetiredCard, SchoolClass
from shuxiang.patrons.services import CARD_KEY, card_prefix

Progress = Callable[[int, int], None]
ClassKey = tuple[int, int]

SKIP_BAD = "skip_bad"
ALL_OR_NOTHING = "all_or_nothing"
MODES = (SKIP_BAD, ALL_OR_NOTHING)

ADD, UPDATE, UNCHANGED, ERROR = "add", "update", "unchanged", "error"
BATCH = 500
PROGRESS_EVERY = 200
MAX_NAME = 100
MAX_NUMBER = 32
MAX_PHONE = 40

# The template's example row: imported by mistake it would become a pupil called 张小明.
EXAMPLE = {
    "姓名": "张小明",
    "类型": "学生",
    "学号": "2024030201",
    "性别": "男",
    "年级": "三年级",
    "班级": "(2)班",
    "借书证号": "",
    "入学年份": "2022",
    "家长电话": "13800000000",
    "备注": "示例行：导入前请删除",
}

TYPES = {
    Patron.Type.STUDENT: {"学生", "学", "生", "student", "s"},
    Patron.Type.TEACHER: {"教师", "老师", "教职工", "教工", "teacher", "t"},
    Patron.Type.STAFF: {"职工", "员工", "工作人员", "行政", "后勤", "staff"},
}
# 1 and 2 are the national code (GB/T 2261.1) that 学籍 exports use.
GENDERS = {
    Patron.Gender.MALE: {"男", "男生", "男性", "m", "male", "1"},
    Patron.Gender.FEMALE: {"女", "女生", "女性", "f", "female", "2"},
}
_YEAR = re.compile(r"^((?:19|20)\d\d)(?:$|[年级届.\-/])")

FIELD_LABELS = {
    "name": pgettext_lazy("roster column", "Name"),
    "type": pgettext_lazy("roster column", "Type"),
    "student_number": pgettext_lazy("roster column", "Student number"),
    "staff_number": pgettext_lazy("roster column", "Staff number"),
    "number": pgettext_lazy("roster column", "Patron number"),
    "gender": pgettext_lazy("roster column", "Gender"),
    "grade": pgettext_lazy("roster column", "Grade"),
    "class": pgettext_lazy("roster column", "Class"),
    "school_class": pgettext_lazy("roster column", "Class"),
    "card_number": pgettext_lazy("roster column", "Card number"),
    "enrolment_year": pgettext_lazy("roster column", "Year of enrolment"),
    "guardian_phone": pgettext_lazy("roster column", "Guardian's phone"),
    "notes": pgettext_lazy("roster column", "Notes"),
}


@dataclass
class RowPlan:
    """One roster row: what it says, what it will do and why not."""

    sheet: str
    line: int
    name: str
    type: str
    number: str
    card: str
    class_key: ClassKey | None = None
    action: str = ADD
    patron_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict)  # model fields to write
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def class_label(self) -> str:
        return grades.class_label(*self.class_key) if self.class_key else ""

    @property
    def number_field(self) -> str:
        return "student_number" if self.type == Patron.Type.STUDENT else "staff_number"


@dataclass
class Plan:
    rows: list[RowPlan]
    warnings: list[str]
    new_classes: list[ClassKey]
    multiple_sheets: bool = False
    columns: list[tuple[str, str]] = field(default_factory=list)  # (header, what it means)

    def of(self, action: str) -> list[RowPlan]:
        return [r for r in self.rows if r.action == action]

    @property
    def counts(self) -> dict[str, int]:
        counts = {action: 0 for action in (ADD, UPDATE, UNCHANGED, ERROR)}
        for row in self.rows:
            counts[row.action] += 1
        counts["rows"] = len(self.rows)
        counts["warnings"] = sum(1 for r in self.rows if r.warnings and r.action != ERROR)
        counts["good"] = counts[ADD] + counts[UPDATE] + counts[UNCHANGED]
        return counts

    @property
    def new_class_labels(self) -> list[str]:
        return [grades.class_label(*key) for key in self.new_classes]


@dataclass
class ImportResult:
    plan: Plan
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    classes_created: list[str] = field(default_factory=list)
    cards_assigned: int = 0
    refused: bool = False  # all or nothing, and some rows were wrong
    dry_run: bool = False
    added_ids: list[int] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.plan.counts[ERROR]

    def summary(self) -> dict[str, Any]:
        """The figures, without names: for the audit log and the job's result."""
        return {
            "rows": len(self.plan.rows),
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "classes_created": len(self.classes_created),
            "cards_assigned": self.cards_assigned,
            "refused": self.refused,
            "dry_run": self.dry_run,
        }


# ----------------------------------------------------------------------------- messages


def problem_text(problem: Problem) -> str:
    """The words for a Problem the file reader found."""
    params = dict(problem.params)
    if "field" in params:
        params["field"] = str(FIELD_LABELS.get(str(params["field"]), params["field"]))
    texts = {
        "number_too_long": _(
            "%(field)s was stored by Excel as a number with more than 15 digits, so its last "
            "digits were lost: format the column as text and type the numbers again."
        ),
        "scientific": _(
            "%(field)s “%(value)s” was written by Excel in scientific notation: format the "
            "column as text and type the numbers again."
        ),
        "zeros_maybe_lost": _(
            "%(field)s %(value)s was stored by Excel as a number, so leading zeros may have been "
            "lost (other numbers in the file have %(length)s digits)."
        ),
        "stored_as_numbers": _(
            "%(count)s values of %(field)s were stored by Excel as numbers. If they should start "
            "with 0, format the column as text and type them again."
        ),
        "zeros_restored": _(
            "%(count)s numbers stored as numbers showed leading zeros through their cell "
            "format; the zeros were kept."
        ),
    }
    return texts.get(problem.code, problem.code) % params


def file_error_text(code: str, params: dict[str, str | int]) -> str:
    """Why a whole file was refused (lib.roster.RosterFileError)."""
    texts = {
        "wrong_type": _("“%(name)s” is not a roster file: upload an .xlsx, .xls or .csv file."),
        "empty": _("The file is empty."),
        "unreadable": _(
            "The file cannot be read: it is damaged or not really an Excel or CSV file. "
            "Open it in Excel or WPS and save it again as .xlsx."
        ),
        "encrypted": _("The file is protected by a password: save a copy without one."),
        "encoding": _("The CSV file is neither UTF-8 nor GBK: save it again as UTF-8."),
        "no_name_header": _(
            "No column headed 姓名 was found in the first rows, so the file cannot be read as "
            "a roster. Headers found: %(found)s."
        ),
        "no_rows": _("The file has a header but no patrons under it."),
    }
    params = dict(params)
    if code == "no_name_header" and not params.get("found"):
        params["found"] = _("none (the first rows are blank)")
    return texts.get(code, code) % params


def _type_label(value: str) -> str:
    return str(Patron.Type(value).label) if value in Patron.Type.values else value


# ----------------------------------------------------------------------------- parsing


def parse_type(text: str) -> str | None:
    value = text.strip().lower()
    return next((t for t, names in TYPES.items() if value in names), None)


def parse_gender(text: str) -> str | None:
    value = text.strip().lower()
    return next((g for g, names in GENDERS.items() if value in names), None)


def parse_year(text: str, latest: int | None = None) -> int | None:
    match = _YEAR.match(text.strip())
    if not match:
        return None
    year = int(match.group(1))
    latest = latest or timezone.localdate().year + 1
    return year if 1950 <= year <= latest else None


def class_enrolment_year(grade: int) -> int:
    """The year a class now in this grade entered the school's first grade."""
    low = grades.grade_range(settings.SHUXIANG_SCHOOL_TYPE)[0]
    return terms.school_year(timezone.localdate()) - (grade - low)


def _school_grades() -> str:
    school_type = grades.SchoolType(settings.SHUXIANG_SCHOOL_TYPE)
    span = grades.grade_range(school_type)
    return _("%(school)s, %(low)s to %(high)s") % {
        "school": grades.SCHOOL_TYPE_LABELS[school_type],
        "low": grades.grade_label(span[0]),
        "high": grades.grade_label(span[-1]),
    }


def parse_class_key(grade_text: str, class_text: str, errors: list[str]) -> ClassKey | None:
    """(grade, class number) from the 年级 and 班级 cells, or None with the reason added.

    The class cell may hold the whole name (三年级(2)班) when there is no 年级 column.
    """
    if not grade_text and not class_text:
        return None
    grade = grades.parse_grade(grade_text) if grade_text else None
    if grade_text and grade is None:
        errors.append(_("Grade “%(grade)s” is not understood.") % {"grade": grade_text})
        return None
    number = grades.parse_class_number(class_text) if class_text else None
    if class_text and number is None:
        whole = grades.parse_class(class_text)
        if whole is None:
            errors.append(
                _("Class “%(class)s” is not understood: write it as 2, (2)班 or 三年级(2)班.")
                % {"class": class_text}
            )
            return None
        if grade is not None and grade != whole[0]:
            errors.append(
                _("The grade (%(grade)s) and the class (%(class)s) do not agree.")
                % {"grade": grade_text, "class": class_text}
            )
            return None
        grade, number = whole
    if number is None:
        errors.append(_("The grade is filled in but the class is not."))
        return None
    if grade is None:
        errors.append(
            _("Class “%(class)s” has no grade: fill in the grade, or write 三年级(2)班.")
            % {"class": class_text}
        )
        return None
    if grade not in grades.grade_range(settings.SHUXIANG_SCHOOL_TYPE):
        errors.append(
            _("“%(grade)s” is not a grade of this school (%(grades)s).")
            % {"grade": grade_text or class_text, "grades": _school_grades()}
        )
        return None
    return grade, number


# ----------------------------------------------------------------------------- the library


@dataclass
class Library:
    """What the checks need to know, read once: classes, patrons, retired cards."""

    classes: dict[ClassKey, int]
    patrons: dict[int, dict[str, Any]]
    by_student_number: dict[str, int]
    by_staff_number: dict[str, int]
    by_card: dict[str, int]
    staff_by_name: dict[str, list[int]]  # teachers and staff without a 工号
    retired: set[str]
    book_barcodes: set[str]

    @cached_property
    def latest_year(self) -> int:
        """The latest believable year of enrolment: next year's intake."""
        return timezone.localdate().year + 1

    @cached_property
    def class_keys(self) -> dict[int, ClassKey]:
        return {pk: key for key, pk in self.classes.items()}

    @classmethod
    def load(cls, cards: Iterable[str]) -> Library:
        classes = {
            (c.grade, c.number): c.pk for c in SchoolClass.objects.filter(graduated_on__isnull=True)
        }
        fields = [
            "id",
            "name",
            "type",
            "gender",
            "student_number",
            "staff_number",
            "card_number",
            "school_class_id",
            "enrolment_year",
            "guardian_phone",
            "notes",
            "status",
        ]
        patrons = {p["id"]: p for p in Patron.objects.values(*fields).iterator(chunk_size=5000)}
        staff_by_name: dict[str, list[int]] = defaultdict(list)
        for p in patrons.values():
            if p["type"] != Patron.Type.STUDENT and not p["staff_number"]:
                staff_by_name[p["name"]].append(p["id"])
        return cls(
            classes=classes,
            patrons=patrons,
            by_student_number={
                p["student_number"]: i for i, p in patrons.items() if p["student_number"]
            },
            by_staff_number={p["staff_number"]: i for i, p in patrons.items() if p["staff_number"]},
            by_card={p["card_number"]: i for i, p in patrons.items()},
            staff_by_name=dict(staff_by_name),
            retired=set(RetiredCard.objects.values_list("number", flat=True)),
            book_barcodes=barcodes_in_use(set(cards)),
        )


def barcodes_in_use(codes: set[str]) -> set[str]:
    """Those of codes that are a book's barcode (asked in chunks: SQLite limits parameters)."""
    found: set[str] = set()
    ordered = sorted(codes)
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start : start + BATCH]
        found.update(Item.objects.filter(barcode__in=chunk).values_list("barcode", flat=True))
    return found


# ----------------------------------------------------------------------------- checking


def check_roster(roster: Roster, progress: Progress | None = None) -> Plan:
    """What importing this roster would do, row by row. Reads the database, writes nothing."""
    # A roster names a few dozen classes thousands of times: each is read once.
    classes: dict[tuple[str, str], tuple[ClassKey | None, list[str]]] = {}
    rows = [_first_look(r, classes) for r in roster.rows]
    if not roster.multiple_sheets:
        for row in rows:
            row.sheet = ""  # one sheet: the row number says it all
    library = Library.load(r.card for r in rows if r.card and barcodes.is_valid(r.card))
    _mark_duplicates(rows)
    total = len(rows)
    for done, (row, source) in enumerate(zip(rows, roster.rows, strict=True), start=1):
        _match(row, source, library)
        row.action = ERROR if row.errors else row.action
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    new_classes = sorted(
        {r.class_key for r in rows if r.class_key and r.action != ERROR} - library.classes.keys()
    )
    return Plan(
        rows=rows,
        warnings=_file_warnings(roster),
        new_classes=new_classes,
        multiple_sheets=roster.multiple_sheets,
        columns=[
            (header, str(FIELD_LABELS[key]))
            for sheet in roster.sheets[:1]
            for key, header in sheet.columns.items()
        ],
    )


def _file_warnings(roster: Roster) -> list[str]:
    warnings = [problem_text(p) for p in roster.problems]
    for sheet in roster.sheets:
        if sheet.ignored:
            warnings.append(
                _("Columns not recognised, not imported: %(headers)s.")
                % {"headers": "、".join(sheet.ignored)}
            )
        for header, kept in sheet.repeated:
            warnings.append(
                _("Column “%(header)s” means the same as “%(kept)s” and was not imported.")
                % {"header": header, "kept": kept}
            )
    return list(dict.fromkeys(warnings))  # one sheet per class repeats the same columns


def _first_look(
    source: RosterRow, classes: dict[tuple[str, str], tuple[ClassKey | None, list[str]]]
) -> RowPlan:
    """The row's own facts and the mistakes visible without the library."""
    errors = [problem_text(p) for p in source.problems if p.error]
    warnings = [problem_text(p) for p in source.problems if not p.error]
    type_text = source.get("type")
    patron_type = parse_type(type_text) if type_text else source.default_type
    if patron_type is None:
        errors.append(
            _("Patron type “%(type)s” is not understood: write 学生, 教师 or 职工.")
            % {"type": type_text}
        )
        patron_type = source.default_type
    number = _number_of(source, patron_type)
    card = barcodes.normalize(source.get("card_number"))
    row = RowPlan(source.sheet, source.line, source.get("name"), patron_type, number, card)
    row.errors, row.warnings = errors, warnings
    if not row.name:
        row.errors.append(_("The name is blank."))
    elif len(row.name) > MAX_NAME:
        row.errors.append(_("The name is longer than %(n)s characters.") % {"n": MAX_NAME})
    if len(number) > MAX_NUMBER:
        row.errors.append(
            _("%(field)s is longer than %(n)s characters.")
            % {"field": FIELD_LABELS[row.number_field], "n": MAX_NUMBER}
        )
    if card and not barcodes.is_valid(card):
        # The words of patrons.services.check_card_number, the rule at the desk.
        row.errors.append(
            _("Card number “%(card)s” is malformed: use 3–32 letters, digits or hyphens.")
            % {"card": source.get("card_number")}
        )
    if row.name == EXAMPLE["姓名"] and number == EXAMPLE["学号"]:
        row.errors.append(_("This is the template's example row: delete it before importing."))
    if patron_type == Patron.Type.STUDENT:
        texts = (source.get("grade"), source.get("class"))
        if texts not in classes:
            found: list[str] = []
            classes[texts] = (parse_class_key(*texts, found), found)
        row.class_key, class_errors = classes[texts]
        row.errors.extend(class_errors)
    elif source.get("class") or source.get("grade"):
        row.warnings.append(
            _(
                "Teachers and staff are not placed in classes: the class was not imported "
                "(set homeroom teachers on the class page)."
            )
        )
    return row


def _number_of(source: RosterRow, patron_type: str) -> str:
    """学号 for a student, 工号 for staff; 编号 or the other column when that is all there is."""
    order = ["student_number", "number", "staff_number"]
    if patron_type != Patron.Type.STUDENT:
        order.reverse()
    return next((v for key in order if (v := source.get(key))), "")


def _mark_duplicates(rows: list[RowPlan]) -> None:
    """A number or card twice in the file: every row that has it is wrong, since either
    could be the mistake."""
    numbers: dict[tuple[str, str], list[RowPlan]] = defaultdict(list)
    cards: dict[str, list[RowPlan]] = defaultdict(list)
    unnumbered_staff: dict[str, list[RowPlan]] = defaultdict(list)
    for row in rows:
        if row.number:
            numbers[row.number_field, row.number].append(row)
        if row.card:
            cards[row.card].append(row)
        if row.type != Patron.Type.STUDENT and not row.number and not row.card and row.name:
            unnumbered_staff[row.name].append(row)
    for (key, number), same in numbers.items():
        if len(same) > 1:
            text = (
                _("Student number %(number)s appears more than once in the file (rows %(rows)s).")
                if key == "student_number"
                else _(
                    "Staff number %(number)s appears more than once in the file (rows %(rows)s)."
                )
            )
            _flag(same, text, number=number)
    for card, same in cards.items():
        if len(same) > 1:
            _flag(
                same,
                _("Card number %(card)s appears more than once in the file (rows %(rows)s)."),
                card=card,
            )
    for name, same in unnumbered_staff.items():
        if len(same) > 1:
            _flag(
                same,
                _(
                    "%(name)s appears more than once without a staff number or card number "
                    "(rows %(rows)s): add one to tell them apart."
                ),
                name=name,
            )


def _flag(rows: list[RowPlan], text: str, **params: str) -> None:
    where = "、".join(row_label(r) for r in rows)
    for row in rows:
        row.errors.append(text % {**params, "rows": where})


def row_label(row: RowPlan) -> str:
    """5, or 三(2)班!5 when the workbook has a sheet per class (Excel's own way to say it)."""
    return f"{row.sheet}!{row.line}" if row.sheet else str(row.line)


def _match(row: RowPlan, source: RosterRow, library: Library) -> None:
    """Find the patron this row is about, then what it changes, or why it cannot be."""
    patron_id = _find(row, library)
    _check_card(row, library, patron_id)
    if row.errors:
        return
    if patron_id is None:
        _plan_add(row, source, library)
    else:
        _plan_update(row, source, library, library.patrons[patron_id])


def _find(row: RowPlan, library: Library) -> int | None:
    numbers = (
        library.by_student_number if row.type == Patron.Type.STUDENT else library.by_staff_number
    )
    if row.number and row.number in numbers:
        return numbers[row.number]
    if row.card and row.card in library.by_card:
        owner = library.patrons[library.by_card[row.card]]
        # The card's patron is this row's only if nothing says otherwise: no other number.
        if not (row.number and owner[row.number_field]) and owner["type"] == row.type:
            return int(owner["id"])
        return None
    if row.type != Patron.Type.STUDENT and not row.number and not row.card:
        same = library.staff_by_name.get(row.name, [])
        if len(same) > 1:
            row.errors.append(
                _(
                    "Several teachers or staff are already called %(name)s: add a staff number "
                    "or a card number to say which one this is."
                )
                % {"name": row.name}
            )
        return same[0] if len(same) == 1 else None
    return None


def _check_card(row: RowPlan, library: Library, patron_id: int | None) -> None:
    if not row.card or not barcodes.is_valid(row.card):
        return
    owner = library.by_card.get(row.card)
    if owner is not None and owner != patron_id:
        row.errors.append(_("Card number %(card)s is already in use.") % {"card": row.card})
    elif row.card in library.retired:
        row.errors.append(
            _("Card number %(card)s was replaced after a loss and cannot be used again.")
            % {"card": row.card}
        )
    elif row.card in library.book_barcodes:
        row.errors.append(
            _("Card number %(card)s is already a book's barcode.") % {"card": row.card}
        )


def _optional_values(row: RowPlan, source: RosterRow, library: Library) -> dict[str, Any]:
    """The fields a row fills in; a blank cell says nothing (it never erases)."""
    values: dict[str, Any] = {}
    if text := source.get("gender"):
        gender = parse_gender(text)
        if gender is None:
            row.warnings.append(
                _("Gender “%(value)s” is not understood and was not imported.") % {"value": text}
            )
        else:
            values["gender"] = gender
    if text := source.get("enrolment_year"):
        year = parse_year(text, library.latest_year)
        if year is None:
            row.warnings.append(
                _("Year of enrolment “%(value)s” is not understood and was not imported.")
                % {"value": text}
            )
        else:
            values["enrolment_year"] = year
    if phone := source.get("guardian_phone"):
        if len(phone) > MAX_PHONE:
            row.errors.append(
                _("The phone number is longer than %(n)s characters.") % {"n": MAX_PHONE}
            )
        else:
            values["guardian_phone"] = phone
    if notes := source.get("notes"):
        values["notes"] = notes
    if row.card:
        values["card_number"] = row.card
    if row.number:
        values[row.number_field] = row.number
    return values


def _plan_add(row: RowPlan, source: RosterRow, library: Library) -> None:
    if row.type == Patron.Type.STUDENT:
        if row.class_key is None:
            row.errors.append(_("A new student needs a grade and a class."))
        if not row.number and not row.card:
            row.errors.append(_("A new student needs a student number or a card number."))
    values = _optional_values(row, source, library)
    values.update(name=row.name, type=row.type)
    row.action, row.values = ADD, values


def _plan_update(row: RowPlan, source: RosterRow, library: Library, old: dict[str, Any]) -> None:
    row.patron_id = int(old["id"])
    number_text = FIELD_LABELS[row.number_field]
    ident = {"field": number_text, "number": row.number or row.card, "card": old["card_number"]}
    if old["status"] in {Patron.Status.GRADUATED, Patron.Status.LEFT}:
        row.errors.append(
            _(
                "%(field)s %(number)s belongs to a patron who has graduated or left (card "
                "%(card)s): change their status on their page first if they are back."
            )
            % ident
        )
        return
    if old["name"] != row.name:
        row.errors.append(
            _(
                "%(field)s %(number)s already belongs to another patron, with a different "
                "name (card %(card)s). If the name has changed, correct it on the patron's "
                "page first."
            )
            % ident
        )
        return
    if source.get("type") and old["type"] != row.type:
        row.errors.append(
            _("This row says %(type)s, but the patron with card %(card)s is a %(old)s.")
            % {**ident, "type": _type_label(row.type), "old": _type_label(old["type"])}
        )
        return
    values = _optional_values(row, source, library)
    if row.class_key is not None:
        values["school_class"] = row.class_key
    changed = {k: v for k, v in values.items() if _differs(k, v, old, library)}
    if "card_number" in changed:
        row.warnings.append(
            _("The card number changes from %(old)s to %(new)s: the old card will stop working.")
            % {"old": old["card_number"], "new": row.card}
        )
    row.values = changed
    row.changes = [
        (k, _shown(k, old_value(k, old, library)), _shown(k, v)) for k, v in changed.items()
    ]
    row.action = UPDATE if changed else UNCHANGED


def old_value(key: str, old: dict[str, Any], library: Library) -> Any:
    if key == "school_class":
        return library.class_keys.get(old["school_class_id"], "")
    return old[key]


def _differs(key: str, value: Any, old: dict[str, Any], library: Library) -> bool:
    if key == "school_class":
        return (
            library.classes.get(value) != old["school_class_id"] or old["school_class_id"] is None
        )
    return bool(value != old[key])


def _shown(key: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if key == "school_class":
        return grades.class_label(*value) if isinstance(value, tuple) else str(value)
    if key == "gender":
        return str(Patron.Gender(value).label)
    if key == "type":
        return _type_label(value)
    return str(value)


# ----------------------------------------------------------------------------- importing


def import_roster(
    roster: Roster,
    *,
    by: User | None,
    via: str = "web",
    mode: str = SKIP_BAD,
    dry_run: bool = False,
    target: models.Model | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the roster again and write it in one transaction: all the good rows, or — in
    the all-or-nothing mode — nothing at all when any row is wrong. One audit row."""
    with transaction.atomic():
        plan = check_roster(roster, progress)
        result = ImportResult(plan, dry_run=dry_run)
        result.refused = mode == ALL_OR_NOTHING and bool(plan.of(ERROR))
        if not (dry_run or result.refused):
            _write(plan, result)
        AuditLog.record(
            "patron.roster_imported"
            if not (dry_run or result.refused)
            else "patron.roster_checked",
            by=by,
            via=via,
            target=target,
            mode=mode,
            **result.summary(),
        )
    return result


def _write(plan: Plan, result: ImportResult) -> None:
    classes = _create_classes(plan.new_classes)
    result.classes_created = plan.new_class_labels
    adds, updates = plan.of(ADD), plan.of(UPDATE)
    cards = allocate_card_numbers(sum(1 for r in adds if not r.card))
    result.cards_assigned = len(cards)
    today = timezone.localdate()
    automatic = iter(cards)
    new: list[Patron] = []
    for row in adds:
        values = dict(row.values)
        if not row.card:
            values["card_number"] = next(automatic)
        if row.class_key:
            values["school_class_id"] = classes[row.class_key]
            values.setdefault("enrolment_year", class_enrolment_year(row.class_key[0]))
        new.append(Patron(**values, card_issued_on=today))
    created = Patron.objects.bulk_create(new, batch_size=BATCH)
    result.added = len(created)
    result.added_ids = [p.pk for p in created if p.pk is not None]
    result.updated = _update(updates, classes)
    result.unchanged = len(plan.of(UNCHANGED))


def _create_classes(keys: list[ClassKey]) -> dict[ClassKey, int]:
    SchoolClass.objects.bulk_create(
        [SchoolClass(grade=g, number=n, enrolment_year=class_enrolment_year(g)) for g, n in keys],
        batch_size=BATCH,
    )
    return {
        (c.grade, c.number): c.pk for c in SchoolClass.objects.filter(graduated_on__isnull=True)
    }


def _update(rows: list[RowPlan], classes: dict[ClassKey, int]) -> int:
    if not rows:
        return 0
    now = timezone.now()
    fields: set[str] = {"updated_at"}
    patrons: list[Patron] = []
    retired: list[RetiredCard] = []
    old_cards = dict(
        Patron.objects.filter(
            pk__in=[r.patron_id for r in rows if "card_number" in r.values]
        ).values_list("pk", "card_number")
    )
    for row in rows:
        patron = Patron(pk=row.patron_id, updated_at=now)
        for key, value in row.values.items():
            if key == "school_class":
                patron.school_class_id = classes[value]
                fields.add("school_class")
            else:
                setattr(patron, key, value)
                fields.add(key)
        if "card_number" in row.values and row.patron_id in old_cards:
            retired.append(RetiredCard(number=old_cards[row.patron_id], patron_id=row.patron_id))
        patrons.append(patron)
    # The old cards first: a card's number must never open two patrons.
    RetiredCard.objects.bulk_create(retired, batch_size=BATCH)
    Patron.objects.bulk_update(patrons, sorted(fields), batch_size=BATCH)
    return len(patrons)


def allocate_card_numbers(count: int) -> list[str]:
    """count automatic card numbers at once, as services.next_card_number hands them out one
    by one: prefix + running number, skipping any number already a card, retired or a book."""
    if count <= 0:
        return []
    digits = settings.SHUXIANG_CARD_DIGITS
    prefix = card_prefix()
    taken = set(Patron.objects.values_list("card_number", flat=True))
    taken |= set(RetiredCard.objects.values_list("number", flat=True))
    numbers: list[str] = []
    # The first number comes from the shared counter, which also takes its lock.
    next_free = next_number(CARD_KEY)
    while len(numbers) < count:
        wanted = count - len(numbers)
        batch = [f"{prefix}{str(n).zfill(digits)}" for n in range(next_free, next_free + wanted)]
        books = barcodes_in_use(set(batch))
        numbers += [number for number in batch if number not in taken and number not in books]
        next_free += wanted
    note_number_used(CARD_KEY, next_free - 1)
    return numbers


# ----------------------------------------------------------------------------- pages and jobs

# How many rows of each kind the preview keeps to show (all are counted and all are imported).
SHOW = {ADD: 200, UPDATE: 500, ERROR: 1000, "warnings": 500}


def row_data(row: RowPlan) -> dict[str, Any]:
    return {
        "row": row_label(row),
        "name": row.name,
        "type": _type_label(row.type),
        "number": row.number,
        "class": row.class_label,
        "card": row.card,
        "changes": [[str(FIELD_LABELS[k]), old, new] for k, old, new in row.changes],
        "errors": row.errors,
        "warnings": row.warnings,
    }


def preview_data(plan: Plan) -> dict[str, Any]:
    """The preview as the job keeps it (JSON) and the page shows it."""
    warned = [r for r in plan.rows if r.warnings and r.action != ERROR]
    return {
        "counts": plan.counts,
        "new_classes": plan.new_class_labels,
        "warnings": plan.warnings,
        "columns": plan.columns,
        "add": [row_data(r) for r in plan.of(ADD)[: SHOW[ADD]]],
        "update": [row_data(r) for r in plan.of(UPDATE)[: SHOW[UPDATE]]],
        "errors": [row_data(r) for r in plan.of(ERROR)[: SHOW[ERROR]]],
        "row_warnings": [row_data(r) for r in warned[: SHOW["warnings"]]],
    }


def result_data(result: ImportResult) -> dict[str, Any]:
    """What the result page needs: figures, the new classes, the rows left out (to correct
    the file) and the ids of the new patrons (their names are read from the database)."""
    return {
        **result.summary(),
        "classes_created": result.classes_created,
        "error_rows": [row_data(r) for r in result.plan.of(ERROR)[: SHOW[ERROR]]],
        "added_ids": result.added_ids[: SHOW[ADD]],
    }


def read_job_file(job: Job) -> Roster:
    try:
        roster = read_roster(upload_path(job), job.file_name)
    except RosterFileError as exc:
        raise JobFailed(file_error_text(exc.code, exc.params)) from None
    if not roster.rows:
        raise JobFailed(file_error_text("no_rows", {}))
    return roster


def check_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The job's first step: read the upload and plan, writing nothing but the preview."""
    plan = check_roster(read_job_file(job), progress)
    AuditLog.record(
        "patron.roster_checked", by=job.created_by, via="web", target=job, **plan.counts
    )
    return preview_data(plan)


def apply_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The second step, once the user said import: check again and write, in one go."""
    roster = read_job_file(job)
    mode = job.options.get("mode", SKIP_BAD)
    # No progress from inside the transaction: no other connection could see it.
    result = import_roster(roster, by=job.created_by, via="web", mode=mode, target=job)
    return result_data(result)


def template_workbook() -> bytes:
    """The roster template: the usual headers, one example row, and how to fill it in.

    Number columns are formatted as text, so that numbers typed into them keep their zeros.
    """
    import io

    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    headers = list(EXAMPLE)
    sheet.append(headers)
    sheet.append(list(EXAMPLE.values()))
    for col, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=col)
        cell.font = Font(bold=True)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 22 if header == "备注" else 14
        if header in {"学号", "借书证号", "家长电话"}:
            for row in range(2, 3001):
                sheet.cell(row=row, column=col).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    for line in TEMPLATE_NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TEMPLATE_NOTES = [
    "书香 花名册导入说明",
    "",
    "1. 第一行是表头，从第二行起每行一位读者。第二行是示例，导入前请删除。",
    "2. 必填：姓名。学生还须填写年级和班级，以及学号或借书证号。",
    "3. 类型：学生、教师或职工；不填时按学生导入。教师、职工的编号填在“学号”一栏即作工号。",
    "4. 年级：三年级、3、初一、七年级 均可；班级：2、(2)班、2班 均可，"
    "也可直接写 三年级(2)班 而不填年级。",
    "5. 学号、借书证号、家长电话 这几列已设为“文本”格式：以 0 开头的号码可以直接输入，不会丢失。",
    "6. 借书证号：3–32 位字母、数字或连字符；不填则自动编号。",
    "7. 性别：男 或 女；入学年份：四位年份，如 2022。",
    "8. 再次导入同一份花名册不会重复添加：学生按学号、教职工按工号与已有读者对应。",
    "   已有读者的空白单元格不会清除原有信息；填写了不同的班级即为调班。",
    "9. 也可上传 .xls 或 .csv（UTF-8 或 GBK 编码，逗号、分号或制表符分隔）。",
]
