"""Classes (班级): adding one and setting its homeroom teacher and student assistants.

Classes also come from roster imports and move up in the rollover; those have their own
modules. These two services are the librarian's hand edits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.lib import grades
from shuxiang.lib.terms import Term, term_of
from shuxiang.patrons.errors import InvalidClass
from shuxiang.patrons.models import Patron, SchoolClass

# Patrons who still belong to their class: a lost card or a suspension does not take a
# child out of 三年级(2)班, graduating or leaving the school does.
ENROLLED = (Patron.Status.ACTIVE, Patron.Status.CARD_LOST, Patron.Status.SUSPENDED)
EARLIEST_ENROLMENT_YEAR = 1990


def school_grades() -> range:
    return grades.grade_range(settings.SHUXIANG_SCHOOL_TYPE)


def _check_grade(grade: int) -> None:
    allowed = school_grades()
    if grade not in allowed:
        raise InvalidClass(
            _("This school has grades %(first)s to %(last)s only.")
            % {"first": grades.grade_label(allowed[0]), "last": grades.grade_label(allowed[-1])},
            "grade",
        )


def _check_enrolment_year(year: int | None) -> None:
    latest = timezone.localdate().year + 1
    if year is not None and not EARLIEST_ENROLMENT_YEAR <= year <= latest:
        raise InvalidClass(
            _("The year of enrolment must be between %(first)d and %(last)d.")
            % {"first": EARLIEST_ENROLMENT_YEAR, "last": latest},
            "enrolment_year",
        )


def _duplicate(grade: int, number: int) -> InvalidClass:
    return InvalidClass(
        _("%(label)s already exists.") % {"label": grades.class_label(grade, number)}, "number"
    )


def create_class(
    grade: int, number: int, *, by: User | None, enrolment_year: int | None = None, via: str = "web"
) -> SchoolClass:
    """A new current class; the same grade and number twice is refused."""
    _check_grade(grade)
    if not 1 <= number <= 99:
        raise InvalidClass(_("The class number must be between 1 and 99."), "number")
    _check_enrolment_year(enrolment_year)
    if SchoolClass.objects.filter(grade=grade, number=number, graduated_on__isnull=True).exists():
        raise _duplicate(grade, number)
    try:
        # The unique constraint settles a race between two librarians adding the same class.
        with transaction.atomic():
            school_class = SchoolClass.objects.create(
                grade=grade, number=number, enrolment_year=enrolment_year
            )
            AuditLog.record("class.created", by=by, target=school_class, via=via)
    except IntegrityError:
        raise _duplicate(grade, number) from None
    return school_class


@transaction.atomic
def update_class(
    school_class: SchoolClass,
    *,
    homeroom_teacher: Patron | None,
    assistants: Iterable[Patron],
    enrolment_year: int | None,
    by: User | None,
    via: str = "web",
) -> SchoolClass:
    """Set a class's homeroom teacher (班主任), student assistants (小图书管理员) and year.

    A teacher whose login has the plain teacher role is made a homeroom teacher, so that the
    class page opens for them as soon as the librarian names them.
    """
    school_class = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
    assistants = list(assistants)
    _check_homeroom_teacher(homeroom_teacher)
    _check_assistants(school_class, assistants)
    _check_enrolment_year(enrolment_year)
    before = _snapshot(school_class)
    school_class.homeroom_teacher = homeroom_teacher
    school_class.enrolment_year = enrolment_year
    school_class.save(update_fields=["homeroom_teacher", "enrolment_year"])
    school_class.assistants.set(assistants)
    promoted = _promote_to_homeroom(homeroom_teacher, by=by, via=via)
    after = _snapshot(school_class)
    changed = sorted(key for key in after if after[key] != before[key])
    AuditLog.record(
        "class.updated",
        by=by,
        target=school_class,
        via=via,
        fields=changed,
        homeroom_teacher=after["homeroom_teacher"],
        assistants=after["assistants"],
        login_made_homeroom=promoted,
    )
    return school_class


def _snapshot(school_class: SchoolClass) -> dict[str, object]:
    return {
        "homeroom_teacher": school_class.homeroom_teacher_id,
        "assistants": sorted(school_class.assistants.values_list("pk", flat=True)),
        "enrolment_year": school_class.enrolment_year,
    }


def _check_homeroom_teacher(teacher: Patron | None) -> None:
    if teacher is None:
        return
    if teacher.type != Patron.Type.TEACHER:
        raise InvalidClass(
            _("%(name)s is not a teacher: only a teacher can be a homeroom teacher.")
            % {"name": teacher.name},
            "homeroom_teacher",
        )
    if teacher.status not in ENROLLED:
        raise InvalidClass(
            _("%(name)s is no longer at the school.") % {"name": teacher.name},
            "homeroom_teacher",
        )


def _check_assistants(school_class: SchoolClass, assistants: list[Patron]) -> None:
    for patron in assistants:
        if patron.school_class_id != school_class.pk or patron.type != Patron.Type.STUDENT:
            raise InvalidClass(
                _("%(name)s is not a student of %(class)s.")
                % {"name": patron.name, "class": school_class.label},
                "assistants",
            )
        if patron.status not in ENROLLED:
            raise InvalidClass(
                _("%(name)s is no longer at the school.") % {"name": patron.name}, "assistants"
            )


def _promote_to_homeroom(teacher: Patron | None, *, by: User | None, via: str) -> bool:
    user = teacher.user if teacher is not None else None
    if user is None or user.role != User.Role.TEACHER:
        return False
    user.role = User.Role.HOMEROOM
    user.save(update_fields=["role"])
    AuditLog.record("user.role_changed", by=by, target=user, via=via, old="teacher", new="homeroom")
    return True


# Figures for the class pages. Loans live in circulation, to the right of patrons (STYLE §1):
# they are reached through the reverse relations Patron.loans and SchoolClass.loans only.
REGULAR_LOAN = "regular"  # Loan.Kind.REGULAR: reading-room uses count apart
CORNER_LOAN = "corner"  # Loan.Kind.CLASS_CORNER: books lent to the class's book corner
BORROWING = (REGULAR_LOAN, CORNER_LOAN)


def _term_filter(prefix: str, term: Term, kinds: tuple[str, ...] = (REGULAR_LOAN,)) -> Q:
    return Q(
        **{
            f"{prefix}checked_out_on__gte": term.start,
            f"{prefix}checked_out_on__lte": term.end,
            f"{prefix}kind__in": kinds,
        }
    )


def _loan_model() -> Any:
    return SchoolClass._meta.get_field("loans").related_model


def current_classes(today: date) -> list[SchoolClass]:
    """Current classes with students_count, loans_out (books out now, to students or the
    class's book corner), corner_out and term_loans (students' loans and corner loans).

    Three queries, one join each: counting students and two kinds of loans in one query
    would multiply the rows (students × loans) before counting.
    """
    term = term_of(today)
    current = SchoolClass.objects.filter(graduated_on__isnull=True)
    classes: list[SchoolClass] = list(
        current.select_related("homeroom_teacher")
        .annotate(students_count=Count("students", filter=Q(students__status__in=ENROLLED)))
        .order_by("grade", "number")  # Meta.ordering does not apply to aggregate queries
    )
    out = dict(
        current.annotate(
            n=Count("students__loans", filter=Q(students__loans__returned_at__isnull=True))
        ).values_list("pk", "n")
    )
    # Corner loans count for the class: both kinds in one pass over the class's own loans.
    corner_open = Q(loans__kind=CORNER_LOAN, loans__returned_at__isnull=True)
    per_class = {
        pk: (term_n, corner_n)
        for pk, term_n, corner_n in current.annotate(
            term_n=Count("loans", filter=_term_filter("loans__", term, BORROWING)),
            corner_n=Count("loans", filter=corner_open),
        ).values_list("pk", "term_n", "corner_n")
    }
    for school_class in classes:
        term_n, corner_n = per_class.get(school_class.pk, (0, 0))
        school_class.corner_out = corner_n  # type: ignore[attr-defined]
        school_class.loans_out = out.get(school_class.pk, 0) + corner_n  # type: ignore[attr-defined]
        school_class.term_loans = term_n  # type: ignore[attr-defined]
    return classes


def graduated_classes() -> dict[int, list[SchoolClass]]:
    """Graduated classes by the year they left, newest year first."""
    by_year: dict[int, list[SchoolClass]] = {}
    found = (
        SchoolClass.objects.filter(graduated_on__isnull=False)
        .select_related("homeroom_teacher")
        .annotate(students_count=Count("students"))
        .order_by("-graduated_on", "grade", "number")
    )
    for school_class in found:
        assert school_class.graduated_on is not None
        by_year.setdefault(school_class.graduated_on.year, []).append(school_class)
    return by_year


def class_students(school_class: SchoolClass, today: date) -> QuerySet[Patron]:
    """The class's students by 学号, each with loans_out, term_loans and overdue."""
    term = term_of(today)
    open_loan = Q(loans__returned_at__isnull=True)
    return (
        school_class.students.all()
        .annotate(
            loans_out=Count("loans", filter=open_loan),
            term_loans=Count("loans", filter=_term_filter("loans__", term)),
            overdue=Count("loans", filter=open_loan & Q(loans__due_on__lt=today)),
        )
        .order_by("student_number", "name", "pk")
    )


def class_open_loans(school_class: SchoolClass, today: date) -> list[Any]:
    """Books the class's students and its book corner have out now, most overdue first, with
    overdue_days set: printed, the 期末清还 list of everything to come back by the end of term."""
    own = Q(patron__school_class=school_class) | Q(kind=CORNER_LOAN, school_class=school_class)
    loans = list(
        _loan_model()
        .objects.filter(own, returned_at__isnull=True)
        .select_related("patron", "item__record")
        .order_by("due_on", "patron__student_number", "pk")
    )
    for loan in loans:
        loan.overdue_days = max(0, (today - loan.due_on).days)
    return loans


def class_term_loans(school_class: SchoolClass, today: date) -> tuple[int, int]:
    """This term's (students' loans, corner loans) for the class, by the loans' class snapshot:
    a student's loan counts for the class they were in when they borrowed."""
    counts = school_class.loans.filter(_term_filter("", term_of(today), BORROWING)).aggregate(
        students=Count("pk", filter=Q(kind=REGULAR_LOAN)),
        corner=Count("pk", filter=Q(kind=CORNER_LOAN)),
    )
    return counts["students"], counts["corner"]


def class_corner_out(school_class: SchoolClass) -> int:
    """Books the class's book corner holds now."""
    return school_class.loans.filter(kind=CORNER_LOAN, returned_at__isnull=True).count()
