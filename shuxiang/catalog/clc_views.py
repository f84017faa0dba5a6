"""Staff pages for the 中图法 table: browse it as a tree, search it, and the cataloguing form's
picker and instant check."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shuxiang.catalog import clc_table
from shuxiang.catalog.models import ClcClass
from shuxiang.lib import clc

SEARCH_LIMIT = 100
PICK_LIMIT = 20
MAX_QUERY = 100


@dataclass(frozen=True)
class ClassRow:
    cls: ClcClass
    kind: str
    path: list[ClcClass]  # ancestors, main class first, without cls itself
    subclasses: int = 0
    records: int = 0

    @property
    def code(self) -> str:
        return self.cls.code

    @property
    def name(self) -> str:
        return self.cls.name

    @property
    def path_names(self) -> list[str]:
        return [c.name for c in self.path]

    @property
    def chosen_name(self) -> str:
        """What the form shows once picked: the class's name, or its nearest ancestor's."""
        return self.cls.name or (self.path[-1].name if self.path else "")


def _query(request: HttpRequest, *names: str) -> str:
    return next((request.GET[n] for n in names if request.GET.get(n)), "").strip()[:MAX_QUERY]


@login_required
def browse(request: HttpRequest) -> HttpResponse:
    return _tree(request, None)


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    cls = ClcClass.objects.filter(code=clc.normalize_class_number(code)).first()
    if cls is not None:
        return _tree(request, cls)
    nearest = clc_table.nearest_class(code)
    if nearest is None:
        raise Http404(_("No such class in the table."))
    messages.info(
        request,
        _("%(code)s is not in the table; this is its nearest class.") % {"code": code},
    )
    return redirect("catalog:clc_class", nearest.code)


def _tree(request: HttpRequest, current: ClcClass | None) -> HttpResponse:
    kids = clc_table.children(current)
    counted = [*kids, current] if current else kids
    counts = clc_table.record_counts(counted, within=current)
    rows = [
        ClassRow(
            kid,
            clc_table.kind(kid),
            [],
            subclasses=getattr(kid, "n_children", 0),
            records=counts[kid.pk],
        )
        for kid in kids
    ]
    path = clc_table.breadcrumbs([current])[current.pk] if current else []
    context = {
        "current": current,
        "kind": clc_table.kind(current) if current else clc.ORDINARY,
        "path": path,
        "rows": rows,
        "records": counts.get(current.pk, 0) if current else None,
        "table_empty": current is None and not rows,
    }
    return render(request, "catalog/clc_browse.html", context)


def _rows(classes: list[ClcClass]) -> list[ClassRow]:
    paths = clc_table.breadcrumbs(classes)
    return [ClassRow(c, clc_table.kind(c), paths[c.pk][:-1]) for c in classes]


@login_required
def search(request: HttpRequest) -> HttpResponse:
    q = _query(request, "q")
    rows = _rows(clc_table.search(q, limit=SEARCH_LIMIT)) if q else []
    code = clc.normalize_class_number(q)
    # A code-looking query that is not a class number deserves the reason, not just "no hits".
    hint = clc.class_error(q) if q and clc_table.looks_like_code(code) and not rows else None
    context = {"q": q, "rows": rows, "limit": SEARCH_LIMIT, "hint": hint}
    return render(request, "catalog/clc_search.html", context)


@login_required
def pick(request: HttpRequest) -> HttpResponse:
    """An htmx fragment: up to 20 buttons carrying data-clc-code, for the cataloguing form."""
    q = _query(request, "q", "class_number")
    rows = _rows(clc_table.search(q, limit=PICK_LIMIT, usable_only=True)) if q else []
    typed = _typed_row(q, rows)
    if typed is not None:
        rows = [typed, *rows[: PICK_LIMIT - 1]]
    return render(request, "catalog/clc_pick.html", {"q": q, "rows": rows})


def _typed_row(q: str, rows: list[ClassRow]) -> ClassRow | None:
    """A valid class number built beyond the table (K825.6=74) is offered as typed."""
    code = clc.normalize_class_number(q)
    if not q or clc.class_error(code) or any(row.code == code for row in rows):
        return None
    path = clc_table.breadcrumb(code)
    if path and path[-1].code == code:
        return ClassRow(path[-1], clc_table.kind(path[-1]), path[:-1])
    return ClassRow(ClcClass(code=code, name=""), clc.ORDINARY, path)


@login_required
def check(request: HttpRequest) -> JsonResponse:
    """Instant validation for the cataloguing form's class-number field."""
    result = check_result(_query(request, "code", "class_number"))
    return JsonResponse(result, json_dumps_params={"ensure_ascii": False})


def check_result(value: str) -> dict[str, object]:
    code = clc.normalize_class_number(value)
    error = clc.class_error(value)
    path = [] if error else clc_table.breadcrumb(code)
    exact = bool(path) and clc.table_code_kind(path[-1].code)[1] == code
    kind = clc_table.kind(path[-1]) if path else clc.ORDINARY
    return {
        "valid": error is None,
        "code": code,
        "message": error or "",
        "name": path[-1].name if path else "",
        "breadcrumb": [{"code": c.code, "name": c.name} for c in path],
        "exact": exact,
        "warning": _warning(code, path, exact, kind),
        "suggestion": (clc.suggest_class_number(value) or "") if error else "",
    }


def _warning(code: str, path: list[ClcClass], exact: bool, kind: str) -> str:
    """Advice for a valid number: the table marks it as not for use, or does not know it."""
    if not path:
        return ""
    nearest = path[-1]
    if kind == clc.ALTERNATIVE:
        return f"{nearest.code} 是交替类目，一般应改用正式类目"
    if kind == clc.DISCONTINUED:
        return f"{nearest.code} 是停用类目，请改用新类号"
    rest = code[len(clc.table_code_kind(nearest.code)[1]) :]
    # Auxiliary numbers (-49, =74, (2), :G6 …) extend a class without being in the table.
    if not exact and (rest[:1].isdigit() or rest.startswith(".")):
        return f"分类表中没有 {code}，最近的上位类是 {nearest.code} {nearest.name}"
    return ""
