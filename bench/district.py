"""A district's school year for the term-report benchmark: 30,000 patrons, 1,000,000 loans.

Run on the database to fill (an empty one, after `shuxiang init`):
    python -m bench.district [--loans N] [--seed S]
It prints JSON figures (what it wrote, how long it took) as its last line.

The collection and the people come from the demo loaders (`catalog.demo`, `patrons.demo`);
the loans are written straight into the table, as the demo's history is, with the snapshots
the circulation services keep (class, patron type and category), renewals on some, a few
reading-room uses and class-corner loans, all returned but the last weeks' (one open loan
per copy, as the database requires). Loans are spread over the school days of one year,
busier in some weeks, uneven between classes and between children.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

YEAR_START = date(2025, 9, 1)
YEAR_END = date(2026, 7, 10)
WINTER = (date(2026, 1, 24), date(2026, 2, 22))
RECORDS = 40_000  # about 120,000 copies
CLASSES_PER_GRADE, CLASS_SIZE, TEACHERS = 100, 48, 1_200  # 28,800 pupils + 1,200 teachers
LOANS = 1_000_000
OPEN_DAYS = 21  # loans of the last three weeks are still out
BATCH = 20_000


def school_days() -> list[date]:
    days = []
    day = YEAR_START
    while day <= YEAR_END:
        if day.weekday() < 5 and not WINTER[0] <= day <= WINTER[1]:
            days.append(day)
        day += timedelta(days=1)
    return days


def build(loans: int = LOANS, seed: int = 0) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from shuxiang.catalog.demo import Table, load_demo
    from shuxiang.catalog.models import Item
    from shuxiang.circulation.models import Loan, Term
    from shuxiang.patrons.demo import load_demo_patrons
    from shuxiang.patrons.models import Patron

    started = time.perf_counter()
    load_demo(RECORDS, seed=seed, today=YEAR_START)
    with override_settings(SHUXIANG_SCHOOL_TYPE="primary"):
        load_demo_patrons(
            seed=seed,
            today=YEAR_START,
            classes_per_grade=CLASSES_PER_GRADE,
            class_size=CLASS_SIZE,
            teachers=TEACHERS,
        )
    for name, start, end in [
        ("2025—2026学年第一学期", YEAR_START, WINTER[0] - timedelta(days=1)),
        ("2025—2026学年第二学期", WINTER[1] + timedelta(days=1), YEAR_END),
    ]:
        Term.objects.get_or_create(name=name, defaults={"starts_on": start, "ends_on": end})
    rng = random.Random(seed + 7)
    # (id, type, class, category) as a loan keeps them.
    people = [
        (p.pk, p.type, p.school_class_id, p.category)
        for p in Patron.objects.select_related("school_class").order_by("pk")
    ]
    items = list(Item.objects.values_list("id", flat=True))
    days = school_days()
    # Some children read far more than others; some weeks are busier (start of term, before
    # the holidays).
    weights = [rng.paretovariate(1.6) for _ in people]
    day_weights = [1.6 if (d - YEAR_START).days < 30 or d.month in (1, 6) else 1.0 for d in days]
    last_open = YEAR_END - timedelta(days=OPEN_DAYS)
    table = Table(Loan)
    tz = timezone.get_current_timezone()
    written = 0
    open_items: set[int] = set()
    next_id = 1
    with transaction.atomic():
        while written < loans:
            size = min(BATCH, loans - written)
            chosen = rng.choices(range(len(people)), weights=weights, k=size)
            on_days = rng.choices(days, weights=day_weights, k=size)
            rows = []
            for person, day in zip(chosen, on_days, strict=True):
                pk, kind_of_patron, class_id, category = people[person]
                roll = rng.random()
                kind = "in_room" if roll < 0.03 else "corner" if roll < 0.05 else "regular"
                item = rng.choice(items)
                out_at = datetime.combine(day, clock(12, rng.randint(0, 59)), tz)
                returned: datetime | None = out_at + timedelta(days=rng.randint(1, 20))
                if day >= last_open and item not in open_items and kind == "regular":
                    open_items.add(item)
                    returned = None
                rows.append(
                    {
                        "id": next_id,
                        "item_id": item,
                        "patron_id": None if kind == "corner" else pk,
                        "school_class_id": class_id,
                        "patron_type": kind_of_patron,
                        "patron_category": category,
                        "kind": kind,
                        "checked_out_at": out_at,
                        "checked_out_on": day,
                        "due_on": day + timedelta(days=14),
                        "returned_at": returned,
                        "renewals": 1 if rng.random() < 0.1 else 0,
                        "via": "desk",
                    }
                )
                next_id += 1
            table.write(rows)
            written += size
        Item.objects.filter(pk__in=open_items).update(status=Item.Status.ON_LOAN)
    _analyze()
    return {
        "patrons": len(people),
        "items": len(items),
        "loans": written,
        "seconds": round(time.perf_counter() - started, 1),
    }


def time_report(repeat: int = 3) -> dict[str, Any]:
    """The school year's report, every figure and the comparison with the year before, as
    `shuxiang report term --from … --to … --format json` computes it: seconds, first and
    best of `repeat` runs (the first reads the tables from disk)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    django.setup()
    from shuxiang.reports import figures, output, periods

    period = periods.between(YEAR_START, YEAR_END)
    runs = []
    document: dict[str, Any] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        current = figures.term_figures(period)
        previous = figures.term_figures(period.previous())
        document = output.to_json(current, figures.compare(current, previous))
        runs.append(time.perf_counter() - started)
    return {
        "first_s": round(runs[0], 3),
        "best_s": round(min(runs), 3),
        "student_loans": document.get("student_loans"),
        "students": document.get("students"),
    }


def _analyze() -> None:
    """The planner's statistics; on PostgreSQL a VACUUM too, as autovacuum would run soon
    after a bulk load: it marks the pages all-visible, which index-only scans need (the
    report reads its counts from indexes alone)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.district", description=__doc__)
    parser.add_argument("--loans", type=int, default=LOANS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", action="store_true", help="time the report instead")
    args = parser.parse_args(argv)
    result = time_report() if args.report else build(args.loans, args.seed)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main()
