"""The import registers: every MARC file and Excel ledger brought in, and what became of it.

The report of one import lists the records it added (from Record.import_batch, paged), then
every entry that was merged, overwritten, skipped or refused, with the reason.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from shuxiang.catalog.batch import ACTION_LABELS
from shuxiang.catalog.models import ImportBatch, Record
from shuxiang.catalog.views import catalogue_required

PAGE_SIZE = 50
ADDED_PAGE_SIZE = 100
# The order in which the report shows what happened: the problems first.
REPORT_ORDER = ["error", "skip", "overwrite", "merge", "joined", "add"]


@catalogue_required
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = ImportBatch.objects.select_related("created_by")
    kind = request.GET.get("kind", "")
    if kind in ImportBatch.Kind.values:
        batches = batches.filter(kind=kind)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/imports/list.html",
        {
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
            "kind": kind,
            "kinds": ImportBatch.Kind.choices,
        },
    )


@catalogue_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.select_related("created_by"), pk=pk)
    show = request.GET.get("show", "")
    lines = batch.report
    if show in ACTION_LABELS:
        lines = [line for line in lines if line.get("action") == show]
    order = {action: n for n, action in enumerate(REPORT_ORDER)}
    lines = sorted(lines, key=lambda line: (order.get(line.get("action", ""), 9), line["position"]))
    added = (
        Record.objects.filter(import_batch=batch)
        .annotate(copies=Count("items"))
        .order_by("id")
        .only("id", "title", "call_number", "isbn", "publisher", "year")
    )
    added_page = Paginator(added, ADDED_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {action: 0 for action in REPORT_ORDER}
    for line in batch.report:
        counts[line.get("action", "error")] = counts.get(line.get("action", "error"), 0) + 1
    return render(
        request,
        "catalog/imports/detail.html",
        {
            "batch": batch,
            "lines": lines,
            "show": show,
            "counts": counts,
            "labels": ACTION_LABELS,
            "page_obj": added_page,
            "page_range": added_page.paginator.get_elided_page_range(
                added_page.number, on_each_side=2
            ),
        },
    )
