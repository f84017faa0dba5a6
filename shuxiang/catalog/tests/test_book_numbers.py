from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection, connections
from django.test import TransactionTestCase

from shuxiang.catalog import services
from shuxiang.catalog.models import Counter
from shuxiang.test import BaseTestCase


class BookNumberTests(BaseTestCase):
    def test_it_numbers_each_class_from_one_in_order(self) -> None:
        self.assertEqual(services.assign_book_number("I287.5"), "1")
        self.assertEqual(services.assign_book_number("I287.5"), "2")
        self.assertEqual(services.assign_book_number("K209"), "1")
        self.assertEqual(services.assign_book_number(" i287.5 "), "3")

    def test_it_continues_after_a_number_that_came_from_outside(self) -> None:
        services.note_number_used(services.book_number_key("I287.5"), 41)
        self.assertEqual(services.assign_book_number("I287.5"), "42")

    def test_it_never_moves_a_counter_backwards(self) -> None:
        services.note_number_used(services.book_number_key("I287.5"), 10)
        services.note_number_used(services.book_number_key("I287.5"), 3)
        self.assertEqual(services.assign_book_number("I287.5"), "11")

    def test_accession_numbers_run_on_with_leading_zeros(self) -> None:
        first = services.next_accession_number()
        self.assertEqual(len(first), services.ACCESSION_WIDTH)
        self.assertEqual(int(services.next_accession_number()), int(first) + 1)


def in_threads(count: int, work: Callable[[], str]) -> list[str]:
    """Run work in count threads released at the same instant; their answers, or the error."""
    got: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run() -> None:
        try:
            start.wait()
            got.append(work())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run) for _ in range(count)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return got


class ConcurrentBookNumberTests(TransactionTestCase):
    """Two librarians cataloguing the same class at the same moment never share a number."""

    def test_it_never_hands_out_the_same_number_twice_under_concurrency(self) -> None:
        threads, per_thread = 6, 15

        def catalogue_many() -> str:
            return ",".join(services.assign_book_number("I287.5") for _ in range(per_thread))

        got = [n for batch in in_threads(threads, catalogue_many) for n in batch.split(",")]
        self.assertEqual(sorted(map(int, got)), list(range(1, threads * per_thread + 1)))
        self.assertEqual(Counter.objects.get(key="book_number:I287.5").value, threads * per_thread)

    def test_concurrent_first_use_of_a_class_creates_one_counter(self) -> None:
        got = in_threads(4, lambda: services.assign_book_number("TP311.13"))
        self.assertEqual(sorted(got, key=int), ["1", "2", "3", "4"])
        self.assertEqual(Counter.objects.filter(key="book_number:TP311.13").count(), 1)
        self.assertIn(connection.vendor, {"sqlite", "postgresql"})
