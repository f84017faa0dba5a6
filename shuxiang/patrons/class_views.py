"""Class pages (班级): the librarian's list of classes, a class page with its students and
their loans, editing a class, and a homeroom teacher's own class."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shuxiang.accounts.models import AuditLog, User
from shuxiang.lib import grades
from shuxiang.lib.terms import term_of
from shuxiang.patrons import classes, permissions
from shuxiang.patrons.class_forms import ClassAddForm, ClassEditForm
from shuxiang.patrons.errors import InvalidClass
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.permissions import librarian_required

View = Callable[..., HttpResponse]

STATUS_BADGES: dict[str, str] = {
    Patron.Status.ACTIVE: "text-bg-success",
    Patron.Status.CARD_LOST: "text-bg-danger",
    Patron.Status.SUSPENDED: "text-bg-warning",
    Patron.Status.GRADUATED: "text-bg-secondary",
    Patron.Status.LEFT: "text-bg-secondary",
}


def _signed_in(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@librarian_required
def class_list(request: HttpRequest) -> HttpResponse:
    """Current classes by grade with their borrowing this term; adding a class posts here."""
    form = ClassAddForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            school_class = classes.create_class(
                form.cleaned_data["grade"],
                form.cleaned_data["number"],
                enrolment_year=form.cleaned_data["enrolment_year"],
                by=_signed_in(request),
            )
        except InvalidClass as exc:
            form.add_class_error(exc)
        else:
            messages.success(
                request,
                _("%(class)s added. Choose its homeroom teacher and student assistants.")
                % {"class": school_class.label},
            )
            return redirect("patrons:class_edit", pk=school_class.pk)
    today = timezone.localdate()
    current = classes.current_classes(today)
    by_grade = [
        (grades.grade_label(grade), list(group))
        for grade, group in groupby(current, key=lambda c: c.grade)
    ]
    context = {
        "by_grade": by_grade,
        "totals": {
            "classes": len(current),
            "students": sum(c.students_count for c in current),  # type: ignore[attr-defined]
            "loans_out": sum(c.loans_out for c in current),  # type: ignore[attr-defined]
            "corner_out": sum(c.corner_out for c in current),  # type: ignore[attr-defined]
            "term_loans": sum(c.term_loans for c in current),  # type: ignore[attr-defined]
        },
        "graduated": classes.graduated_classes(),
        "term": term_of(today),
        "form": form,
    }
    status = 422 if form.is_bound else 200
    return render(request, "patrons/class_list.html", context, status=status)


def _per_student(loans: int, students: int) -> Decimal | None:
    if not students:
        return None
    return (Decimal(loans) / students).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A class page: students, books out now and this term's borrowing. It shows children's
    loans, so every view is written to the audit log."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    school_class = permissions.get_class_for_user(request.user, pk)
    today = timezone.localdate()
    students = list(classes.class_students(school_class, today))
    for student in students:
        student.badge = STATUS_BADGES.get(student.status, "text-bg-secondary")  # type: ignore[attr-defined]
    loans = classes.class_open_loans(school_class, today)
    books_out = len(loans)
    only_overdue = request.GET.get("overdue") == "1"
    if only_overdue:
        loans = [loan for loan in loans if loan.overdue_days]
    enrolled = sum(1 for s in students if s.status in classes.ENROLLED)
    student_loans, corner_loans = classes.class_term_loans(school_class, today)
    AuditLog.record("class.viewed", by=_signed_in(request), target=school_class)
    context = {
        "school_class": school_class,
        "assistants": list(school_class.assistants.order_by("student_number", "name")),
        "students": students,
        "enrolled": enrolled,
        "loans": loans,
        "books_out": books_out,
        "only_overdue": only_overdue,
        "overdue_total": sum(s.overdue for s in students),  # type: ignore[attr-defined]
        "term": term_of(today),
        "term_loans": student_loans + corner_loans,
        "corner_loans": corner_loans,
        "corner_out": classes.class_corner_out(school_class),
        # Per student: what the students borrowed themselves, not the corner's box of books.
        "per_student": _per_student(student_loans, enrolled),
        "today": today,
        "can_edit": permissions.can_manage_patrons(request.user),
    }
    return render(request, "patrons/class_detail.html", context)


@librarian_required
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = permissions.get_class_for_user(request.user, pk)
    form = ClassEditForm(
        request.POST if request.method == "POST" else None, school_class=school_class
    )
    if form.is_valid():
        try:
            classes.update_class(
                school_class,
                homeroom_teacher=form.cleaned_data["homeroom_teacher"],
                assistants=form.cleaned_data["assistants"],
                enrolment_year=form.cleaned_data["enrolment_year"],
                by=_signed_in(request),
            )
        except InvalidClass as exc:
            form.add_class_error(exc)
        else:
            messages.success(request, _("%(class)s saved.") % {"class": school_class.label})
            return redirect("patrons:class_detail", pk=school_class.pk)
    status = 422 if form.is_bound else 200
    context = {"school_class": school_class, "form": form}
    return render(request, "patrons/class_edit.html", context, status=status)


def my_class(request: HttpRequest) -> HttpResponse:
    """班主任: straight to the class page when there is one class, else a short list."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_homeroom(request.user):
        raise PermissionDenied
    mine: list[SchoolClass] = list(permissions.visible_classes(request.user))
    current = [c for c in mine if c.is_current]
    if len(current) == 1:
        return redirect("patrons:class_detail", pk=current[0].pk)
    past = sorted(
        (c for c in mine if not c.is_current), key=lambda c: str(c.graduated_on), reverse=True
    )
    return render(request, "patrons/class_mine.html", {"current": current, "past": past})
