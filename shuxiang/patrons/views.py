"""The patron pages: the librarian's list and record screens, card actions, privacy requests,
and "my account" for readers. Who may open what is decided in permissions.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shuxiang.accounts.models import AuditLog, User
from shuxiang.patrons import permissions, privacy, queries, services
from shuxiang.patrons.errors import DuplicateCardNumber, InvalidCardNumber, PatronError
from shuxiang.patrons.forms import PatronForm, ReissueForm
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.patrons.permissions import librarian_required, login_needed

View = Callable[..., HttpResponse]
PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _managed_patron(request: HttpRequest, pk: int) -> Patron:
    return permissions.get_patron_for_user(request.user, pk)


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


# ---------------------------------------------------------------------------------- list


def _class_options() -> list[SchoolClass]:
    # Current classes first, then the most recently graduated.
    return list(
        SchoolClass.objects.order_by(
            F("graduated_on").desc(nulls_first=True), "grade", "number", "pk"
        )
    )


@librarian_required
def patron_list(request: HttpRequest) -> HttpResponse:
    q = queries.normalise_query(request.GET.get("q", ""))
    type_ = request.GET.get("type", "")
    status = request.GET.get("status", "")
    class_id = _int(request.GET.get("class"))
    patrons = queries.filter_patrons(
        queries.search_patrons(Patron.objects.all(), q),
        type=type_,
        status=status,
        class_id=class_id,
    )
    paginator = Paginator(queries.patron_rows(patrons), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # A list of names is patron data too. The search text may be a name, so only whether
    # there was one is logged.
    AuditLog.record(
        "patron.list_viewed",
        by=_user(request),
        page=page.number,
        searched=bool(q),
        filters={"type": type_, "status": status, "class": class_id},
    )
    return render(
        request,
        "patrons/patron_list.html",
        {
            "q": q,
            "type": type_,
            "status": status,
            "class_id": class_id,
            "filtered": bool(q or type_ or status or class_id),
            "types": Patron.Type.choices,
            "statuses": Patron.Status.choices,
            "classes": _class_options(),
            "page_obj": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2),
        },
    )


# ---------------------------------------------------------------------------------- detail


def _loans_context(request: HttpRequest, patron: Patron) -> dict[str, Any]:
    """Books out, money due and a page of the history: shared by the detail page and 我的."""
    today = timezone.localdate()
    fines = list(queries.outstanding_fines(patron))
    history = Paginator(queries.loan_history(patron), HISTORY_PAGE_SIZE)
    page = history.get_page(request.GET.get("page"))
    return {
        "today": today,
        "current": queries.current_loans(patron, today=today),
        "fines": fines,
        "money_due": queries.money_due(fines),
        "page_obj": page,
        "page_range": history.get_elided_page_range(page.number, on_each_side=2),
        "category_label": queries.category_label(patron.category),
    }


@login_needed
def patron_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _managed_patron(request, pk)
    user = _user(request)
    if patron.user_id == user.pk and not permissions.can_manage_patrons(user):
        # Readers see themselves on 我的借阅, which leaves out the librarian's notes.
        return redirect("patrons:me")
    AuditLog.record("patron.viewed", by=user, target=patron)
    context = _loans_context(request, patron)
    context.update(
        {
            "patron": patron,
            "can_manage": permissions.can_manage_patrons(user),
            "show_phone": permissions.can_see_guardian_phone(user, patron),
            "retired_cards": list(patron.retired_cards.order_by("-retired_at", "-pk")),
            "status_actions": _allowed_status_actions(patron),
            "can_report_lost": patron.status == Patron.Status.ACTIVE,
            "can_reissue": patron.status in {Patron.Status.ACTIVE, Patron.Status.CARD_LOST},
        }
    )
    return render(request, "patrons/patron_detail.html", context)


def _allowed_status_actions(patron: Patron) -> list[tuple[str, str]]:
    return [
        (action, label)
        for action, (status, label, _meaning) in _status_actions().items()
        if patron.status in services.STATUS_FROM[status]
    ]


# ---------------------------------------------------------------------------------- add, edit


@librarian_required
def patron_new(request: HttpRequest) -> HttpResponse:
    form = PatronForm(request.POST or None, initial=_new_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            patron = services.create_patron(form.patron_data(), by=_user(request))
        except (InvalidCardNumber, DuplicateCardNumber) as exc:
            form.add_patron_error(exc, "card_number")
        except PatronError as exc:
            form.add_patron_error(exc)
        else:
            messages.success(
                request,
                _("Patron added with card number %(card)s.") % {"card": patron.card_number},
            )
            return redirect("patrons:detail", patron.pk)
    form.fields["name"].widget.attrs.setdefault("autofocus", True)
    return render(request, "patrons/patron_form.html", {"form": form})


def _new_initial(request: HttpRequest) -> dict[str, Any]:
    """?class=ID (from a class page) preselects that class."""
    class_id = _int(request.GET.get("class"))
    return {"school_class": class_id, "type": Patron.Type.STUDENT} if class_id else {}


@librarian_required
def patron_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patron = _managed_patron(request, pk)
    if request.method == "POST":
        form = PatronForm(request.POST, patron=patron)
        if form.is_valid():
            try:
                services.update_patron(patron, form.patron_data(), by=_user(request))
            except PatronError as exc:
                form.add_patron_error(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("patrons:detail", patron.pk)
    else:
        form = PatronForm(initial=PatronForm.initial_from(patron), patron=patron)
        AuditLog.record("patron.viewed", by=_user(request), target=patron, page="edit")
    return render(request, "patrons/patron_form.html", {"form": form, "patron": patron})


# ---------------------------------------------------------------------------------- status


def _status_actions() -> dict[str, tuple[str, str, str]]:
    """URL action → (new status, button, what it means)."""
    return {
        "suspend": (
            Patron.Status.SUSPENDED,
            _("Suspend"),
            _("The patron cannot borrow until reactivated. Books already out stay on loan."),
        ),
        "reactivate": (
            Patron.Status.ACTIVE,
            _("Reactivate"),
            _("The patron can borrow again with the current card."),
        ),
        "leave": (
            Patron.Status.LEFT,
            _("Mark as left the school"),
            _(
                "The patron cannot borrow any more; the record and its history are kept. "
                "Books still out must be returned (离校清还)."
            ),
        ),
    }


@librarian_required
def patron_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actions = _status_actions()
    if action not in actions:
        raise Http404
    patron = _managed_patron(request, pk)
    status, label, meaning = actions[action]
    if request.method == "POST":
        try:
            services.set_status(patron, status, by=_user(request))
        except PatronError as exc:
            messages.error(request, exc.message)
        else:
            patron.refresh_from_db()
            messages.success(
                request,
                _("Status changed to: %(status)s.") % {"status": patron.get_status_display()},
            )
        return redirect("patrons:detail", patron.pk)
    return render(
        request,
        "patrons/patron_confirm.html",
        {
            "patron": patron,
            "title": label,
            "meaning": meaning,
            "button": label,
            "books_out": patron.loans.filter(returned_at__isnull=True).count(),
        },
    )


# ---------------------------------------------------------------------------------- cards


@librarian_required
def patron_card_lost(request: HttpRequest, pk: int) -> HttpResponse:
    """挂失: confirm, then the card is blocked at once everywhere."""
    patron = _managed_patron(request, pk)
    if request.method == "POST":
        try:
            services.report_card_lost(patron, by=_user(request))
        except PatronError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Card %(card)s is blocked: the desk and the kiosks refuse it from now on. "
                    "Reissue a card when the patron needs one."
                )
                % {"card": patron.card_number},
            )
        return redirect("patrons:detail", patron.pk)
    return render(
        request,
        "patrons/patron_confirm.html",
        {
            "patron": patron,
            "title": _("Report card lost"),
            "meaning": _(
                "Card %(card)s will be refused at once at the desk, the kiosks and the API, so "
                "that nobody can borrow with it. Books already out stay on loan."
            )
            % {"card": patron.card_number},
            "button": _("Report card lost"),
            "danger": True,
        },
    )


@librarian_required
def patron_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    """补办: a new number; the old one is retired and refused with its own message."""
    patron = _managed_patron(request, pk)
    form = ReissueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        old = patron.card_number
        try:
            patron = services.reissue_card(
                patron, by=_user(request), new_number=form.cleaned_data["new_number"]
            )
        except PatronError as exc:
            form.add_error("new_number", exc.message)
        else:
            messages.success(
                request,
                _(
                    "New card %(new)s issued. The old card %(old)s is now refused everywhere: "
                    "destroy it if it turns up."
                )
                % {"new": patron.card_number, "old": old},
            )
            return redirect("patrons:detail", patron.pk)
    form.fields["new_number"].widget.attrs["autofocus"] = True
    return render(request, "patrons/patron_reissue.html", {"patron": patron, "form": form})


# ---------------------------------------------------------------------------------- privacy


@librarian_required
@require_GET
def patron_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A download of everything held about the patron, for the patron or their guardian."""
    if fmt not in {"json", "xlsx"}:
        raise Http404
    patron = _managed_patron(request, pk)
    data = privacy.export_data(patron)
    AuditLog.record("patron.exported", by=_user(request), target=patron, format=fmt)
    if fmt == "json":
        body, content_type = privacy.export_json(data), "application/json; charset=utf-8"
    else:
        body = privacy.export_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    filename = f"patron-{patron.card_number}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@librarian_required
def patron_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase on request: a confirmation that says what is kept anonymised, then one step."""
    patron = _managed_patron(request, pk)
    if request.method == "POST":
        try:
            plan = privacy.erase_patron(patron, by=_user(request))
        except PatronError as exc:
            messages.error(request, exc.message)
            return redirect("patrons:erase", patron.pk)
        messages.success(
            request,
            _(
                "The patron's personal data has been erased. Kept without a name for the "
                "statistics: loans %(loans)s, compensation records %(fines)s."
            )
            % {"loans": plan.loans, "fines": plan.fines},
        )
        return redirect("patrons:list")
    plan = privacy.erasure_plan(patron)
    return render(
        request,
        "patrons/patron_erase.html",
        {
            "patron": patron,
            "plan": plan,
            "refusal": "" if plan.allowed else privacy.refusal(plan),
        },
    )


# ---------------------------------------------------------------------------------- my account


@login_needed
def me(request: HttpRequest) -> HttpResponse:
    """我的借阅: the logged-in reader's own card, loans and history; nobody else's."""
    patron = Patron.objects.select_related("school_class").filter(user=_user(request)).first()
    context: dict[str, Any] = {"patron": patron}
    if patron is not None:
        context.update(_loans_context(request, patron))
        # Holds live in circulation too: reached through the reverse relation, like loans.
        context["holds"] = (
            patron.holds.filter(status__in=("waiting", "ready"))
            .select_related("record")
            .order_by("placed_at", "pk")
        )
    return render(request, "patrons/patron_me.html", context)
