from __future__ import annotations

import threading

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


class ConcurrentBookNumberTests(TransactionTestCase):
    """Two librarians cataloguing the same class at the same moment never share a number."""

    def test_it_never_hands_out_the_same_number_twice_under_concurrency(self) -> None:
        threads, per_thread = 6, 15
        got: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(threads)

        def work() -> None:
            try:
                start.wait()
                for _ in range(per_thread):
                    number = services.assign_book_number("I287.5")
                    with lock:
                        got.append(number)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(map(int, got)), list(range(1, threads * per_thread + 1)))
        self.assertEqual(Counter.objects.get(key="book_number:I287.5").value, threads * per_thread)

    def test_concurrent_first_use_of_a_class_creates_one_counter(self) -> None:
        threads = 4
        got: list[str] = []
        start = threading.Barrier(threads)

        def work() -> None:
            try:
                start.wait()
                got.append(services.assign_book_number("TP311.13"))
            finally:
                connections.close_all()

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        self.assertEqual(sorted(got, key=int), ["1", "2", "3", "4"])
        self.assertEqual(Counter.objects.filter(key="book_number:TP311.13").count(), 1)
        self.assertIn(connection.vendor, {"sqlite", "postgresql"})
