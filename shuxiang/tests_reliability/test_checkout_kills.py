"""Desks killed with SIGKILL in the middle of a burst of checkouts and returns: afterwards no
loan lacks its checkout event, no returned loan its checkin event, no copy says 在借 without
an open loan (or the reverse), no copy has two open loans, and the database checks clean."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

from django.db import connections

from shuxiang.circulation import services
from shuxiang.circulation.models import CirculationEvent, Loan
from shuxiang.circulation.tests.test_concurrent_checkouts import NOW, Library, scan_at_random
from shuxiang.tests_reliability import crash
from shuxiang.tests_reliability.soak import rounds

ROUNDS = rounds(ci=8, soak=150)
DESKS = 2


def scan_until_killed(seed: int) -> None:
    """A desk scanning without end: only SIGKILL stops it."""
    connections.close_all()  # never share the parent's connection across fork
    batch = seed * 100_000
    while True:
        scan_at_random(batch)
        batch += 1


class CheckoutKillTests(Library):
    def test_desks_killed_in_a_burst_of_checkouts_leave_the_loans_consistent(self) -> None:
        rng = random.Random(11)
        context = multiprocessing.get_context("fork")
        progressed = 0
        for round_ in range(ROUNDS):
            before = CirculationEvent.objects.count()
            connections.close_all()
            desks = [
                context.Process(target=scan_until_killed, args=(round_ * DESKS + n,), daemon=True)
                for n in range(DESKS)
            ]
            for desk in desks:
                desk.start()
            # Each desk dies on its own clock, the other keeps scanning meanwhile.
            for desk in sorted(desks, key=lambda _: rng.random()):
                desk.join(timeout=rng.uniform(0.05, 0.6))
                assert desk.pid is not None
                os.kill(desk.pid, signal.SIGKILL)
            for desk in desks:
                desk.join(timeout=30)
            self.assertEqual([d.exitcode for d in desks], [-signal.SIGKILL] * DESKS)
            self.assertConsistent()
            self.assertEqual(crash.integrity_problems(search_index=False), [], f"round {round_}")
            progressed += CirculationEvent.objects.count() > before
        # The desks really worked between the kills, and a desk can still work afterwards.
        self.assertGreater(progressed, ROUNDS // 2)
        after = services.Channel(by=None, via="desk", station="after")
        # On PostgreSQL a killed desk's server process may still finish a COMMIT it had
        # already been sent; such a loan appears a moment later, so return until none is left.
        for _ in range(50):
            still_out = list(Loan.objects.open())
            if not still_out:
                break
            for loan in still_out:
                services.check_in(loan.item.barcode, after, now=NOW)
            time.sleep(0.1)
        self.assertFalse(Loan.objects.open().exists())
        self.assertConsistent()
        print(
            f"\ncheckouts: {ROUNDS} rounds, {ROUNDS * DESKS} desks killed, "
            f"{Loan.objects.count()} loans, {CirculationEvent.objects.count()} events"
        )
