"""Desks racing for the same books, on SQLite and on PostgreSQL alike: threads with their own
database connections (and, on PostgreSQL, separate processes) check the same copies out and
in at once. At the end every copy has at most one open loan, its status says so, every loan
has its events, no patron is over the limit, and no database error reached a caller."""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection, connections
from django.test import TransactionTestCase

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog_services
from shuxiang.catalog.models import Item, Location, Record
from shuxiang.circulation import defaults, services
from shuxiang.circulation.errors import AlreadyOnLoan, CirculationError
from shuxiang.circulation.models import CirculationEvent, Hold, Loan
from shuxiang.patrons.errors import PatronError
from shuxiang.patrons.models import Patron, SchoolClass

NOW = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
BARCODES = [f"C{n:03d}" for n in range(6)]
CARDS = [f"P{n:03d}" for n in range(8)]
THREADS = 8
SCANS = 30


def in_threads(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run work(0…count-1) in threads started together; the exceptions that escaped."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as error:  # noqa: BLE001 - the test reports whatever escaped
            errors.append(error)
        finally:
            connections.close_all()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def scan_at_random(seed: int) -> Counter[str]:
    """A desk scanning: checkouts to any of the patrons, returns, in a random order."""
    rng = random.Random(seed)
    desk = services.Channel(by=None, via="desk", station=f"desk-{seed}")
    outcomes: Counter[str] = Counter()
    for _ in range(SCANS):
        barcode = rng.choice(BARCODES)
        try:
            if rng.random() < 0.6:
                services.check_out(rng.choice(CARDS), barcode, desk, now=NOW)
                outcomes["checkout"] += 1
            else:
                services.check_in(barcode, desk, now=NOW)
                outcomes["checkin"] += 1
        except (CirculationError, PatronError) as refused:  # a desk's ordinary refusals
            outcomes[refused.code] += 1
    return outcomes


def scan_with_holds(seed: int) -> None:
    """Checkouts, returns, renewals and holds on a title whose copies are all wanted: returns
    keep copies for readers, readers collect them or take another copy."""
    rng = random.Random(seed)
    desk = services.Channel(by=None, via="desk", station=f"desk-{seed}")
    record = Record.objects.get(title="西游记")
    for _ in range(SCANS):
        roll, card, barcode = rng.random(), rng.choice(CARDS), rng.choice(BARCODES)
        try:
            if roll < 0.4:
                services.check_out(card, barcode, desk, now=NOW)
            elif roll < 0.75:
                services.check_in(barcode, desk, now=NOW)
            elif roll < 0.9:
                services.place_hold(card, record, desk)
            else:
                services.renew(barcode, desk, now=NOW)
        except (CirculationError, PatronError):
            pass


def scan_in_a_process(seed: int) -> None:
    connections.close_all()  # never share the parent's connection across fork
    try:
        scan_at_random(seed)
    finally:
        connections.close_all()


class Library(TransactionTestCase):
    """Eight readers of 五年级(2)班 and six copies of 西游记, committed for other threads."""

    def setUp(self) -> None:
        catalog_services.ensure_default_locations()
        defaults.ensure_defaults(date(2026, 11, 2))
        User.objects.create_user("lena", password="x", role=User.Role.LIBRARIAN)
        school_class = SchoolClass.objects.create(grade=5, number=2)
        for card in CARDS:
            Patron.objects.create(card_number=card, name=card, school_class=school_class)
        record = Record.objects.create(title="西游记")
        stacks = Location.objects.get(code="STACKS")
        for code in BARCODES:
            Item.objects.create(record=record, barcode=code, accession_number=code, location=stacks)

    def assertConsistent(self) -> None:
        open_loans = Counter(Loan.objects.open().values_list("item_id", flat=True))
        self.assertEqual(set(open_loans.values()) - {1}, set(), "a copy with two open loans")
        for item in Item.objects.all():
            self.assertEqual(item.status == Item.Status.ON_LOAN, open_loans[item.pk] == 1, item)
        loans = Loan.objects.all()
        self.assertFalse(loans.exclude(events__action="checkout").exists())
        self.assertFalse(
            loans.filter(returned_at__isnull=False).exclude(events__action="checkin").exists()
        )
        checkouts = CirculationEvent.objects.filter(action="checkout").count()
        self.assertEqual(checkouts, loans.count())
        per_patron = Counter(Loan.objects.open().values_list("patron_id", flat=True))
        self.assertLessEqual(max(per_patron.values(), default=0), 2, "a student over the limit")


class ConcurrentCheckoutTests(Library):
    def test_eight_desks_racing_for_one_copy_give_one_loan(self) -> None:
        winners: list[str] = []
        refusals: list[str] = []

        def scan(n: int) -> None:
            try:
                services.check_out(CARDS[n], "C000", services.Channel(by=None), now=NOW)
                winners.append(CARDS[n])
            except AlreadyOnLoan as refused:
                refusals.append(refused.code)

        self.assertEqual(in_threads(THREADS, scan), [])
        self.assertEqual((len(winners), refusals), (1, ["already_on_loan"] * (THREADS - 1)))
        self.assertEqual(Loan.objects.get().patron.card_number, winners[0])  # type: ignore[union-attr]
        self.assertConsistent()

    def test_desks_checking_the_same_copies_out_and_in_at_once_stay_consistent(self) -> None:
        totals: Counter[str] = Counter()
        lock = threading.Lock()

        def scan(n: int) -> None:
            outcomes = scan_at_random(n)
            with lock:
                totals.update(outcomes)

        self.assertEqual(in_threads(THREADS, scan), [])
        self.assertEqual(sum(totals.values()), THREADS * SCANS)
        self.assertGreater(totals["checkout"], 0)
        self.assertGreater(totals["checkin"], 0)
        self.assertConsistent()

    def test_holds_taken_and_collected_at_once_stay_consistent(self) -> None:
        self.assertEqual(in_threads(THREADS, scan_with_holds), [])
        self.assertConsistent()
        for hold in Hold.objects.filter(status=Hold.Status.READY).select_related("item"):
            self.assertEqual(hold.item.status, Item.Status.ON_SHELF, hold)  # type: ignore[union-attr]
        for hold in Hold.objects.filter(status=Hold.Status.FILLED):
            self.assertTrue(Loan.objects.filter(patron=hold.patron, item=hold.item).exists())

    def test_separate_processes_scanning_at_once_stay_consistent(self) -> None:
        # Forked children inherit the test database's settings; each opens its own connection.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        workers = [context.Process(target=scan_in_a_process, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        self.assertEqual([w.exitcode for w in workers], [0, 0, 0, 0])
        self.assertGreater(Loan.objects.count(), 0)
        self.assertIn(connection.vendor, {"sqlite", "postgresql"})
        self.assertConsistent()
