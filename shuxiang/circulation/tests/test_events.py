from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from shuxiang.circulation import services
from shuxiang.circulation.errors import CirculationError
from shuxiang.circulation.models import CirculationEvent, Fine, Loan
from shuxiang.circulation.tests.service_case import ServiceTestCase


class EventTests(ServiceTestCase):
    """Every state change writes exactly its events, each saying who, through what and where."""

    def setUp(self) -> None:
        super().setUp()
        self.kiosk = services.Channel(by=self.hana, via="sip2", station="自助机2")

    def writes(self, actions: list[str], change: Callable[[], object]) -> list[CirculationEvent]:
        since = self.last_event_id()
        change()
        events = list(CirculationEvent.objects.filter(pk__gt=since).order_by("pk"))
        self.assertEqual([e.action for e in events], actions)
        for event in events:
            self.assertEqual((event.by, event.via, event.station), (self.hana, "sip2", "自助机2"))
        return events

    def test_a_checkout_and_a_return(self) -> None:
        (out,) = self.writes(["checkout"], lambda: services.check_out("P0001", "T0001", self.kiosk))
        loan = Loan.objects.get()
        self.assertEqual((out.item, out.patron, out.loan), (loan.item, self.ada_patron, loan))
        (back,) = self.writes(["checkin"], lambda: services.check_in("T0001", self.kiosk))
        self.assertEqual((back.item, back.patron, back.loan), (loan.item, self.ada_patron, loan))

    def test_a_renewal(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        self.writes(["renew"], lambda: services.renew("T0001", self.kiosk))

    def test_holds_placed_readied_collected_cancelled_expired(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        (placed,) = self.writes(
            ["hold_placed"], lambda: services.place_hold("P0001", self.journey, self.kiosk)
        )
        other = services.place_hold(self.student("P0009"), self.journey, self.desk)
        checkin, ready = self.writes(
            ["checkin", "hold_ready"], lambda: services.check_in("T0001", self.kiosk)
        )
        self.assertEqual(
            (ready.hold, ready.patron, ready.detail),
            (placed.hold, self.ada_patron, {"after": checkin.pk}),
        )
        self.writes(
            ["checkout", "hold_filled"], lambda: services.check_out("P0001", "T0001", self.kiosk)
        )
        self.writes(["hold_cancelled"], lambda: services.cancel_hold(other, self.kiosk))
        third = services.place_hold(self.student("P0010"), self.journey, self.desk)
        services.check_in("T0002", self.desk)  # kept for the third reader until 11-30
        self.writes(
            ["hold_expired"], lambda: services.expire_holds(self.kiosk, today=date(2026, 12, 1))
        )
        third.refresh_from_db()
        self.assertEqual(third.status, "expired")

    def test_class_corner_loans(self) -> None:
        self.writes(
            ["corner_out"], lambda: services.lend_to_corner(self.class_5_2, "T0001", self.kiosk)
        )
        self.writes(["corner_in"], lambda: services.return_from_corner("T0001", self.kiosk))

    def test_lost_damaged_repaired_and_paid_for(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        lost, charged = self.writes(
            ["lost", "compensation"], lambda: services.mark_lost("T0001", self.kiosk)
        )
        self.assertEqual(charged.detail["amount"], "45.00")
        self.writes(
            ["damaged", "compensation"],
            lambda: services.mark_damaged("T0002", self.kiosk, charge_patron=self.ada_patron),
        )
        self.writes(["repaired"], lambda: services.mark_repaired("T0002", self.kiosk))
        first, second = Fine.objects.order_by("pk")
        self.writes(
            ["paid"], lambda: services.pay_compensation(first, self.kiosk, amount=Decimal("5"))
        )
        self.writes(
            ["waived"], lambda: services.waive_compensation(second, self.kiosk, note="初犯")
        )

    def test_an_undo(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        checkout = CirculationEvent.objects.get(action="checkout")
        self.writes(["undone"], lambda: services.undo(checkout, self.kiosk))

    def test_a_refusal_writes_nothing(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        for change in (
            lambda: services.check_out("P0001", "T0001", self.kiosk),
            lambda: services.check_in("T0002", self.kiosk),
            lambda: services.renew("T0002", self.kiosk),
            lambda: services.mark_repaired("T0002", self.kiosk),
        ):
            with self.assertRaises(CirculationError):
                self.writes([], change)
        self.assertEqual(CirculationEvent.objects.count(), 1)
