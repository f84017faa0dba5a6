from __future__ import annotations

from datetime import date

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import HoldRefused, ItemNotFound, PatronBlocked
from shuxiang.circulation.models import CirculationEvent, Hold
from shuxiang.circulation.tests.service_case import ServiceTestCase, at
from shuxiang.patrons.models import Patron


class HoldTestCase(ServiceTestCase):
    """西游记's two copies are out (to Tom and Hana): readers wait for the title."""

    def setUp(self) -> None:
        super().setUp()
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)

    def hold_of(self, patron: Patron) -> Hold:
        return Hold.objects.get(patron=patron)


class PlaceHoldTests(HoldTestCase):
    def test_it_puts_the_reader_in_line_for_the_title(self) -> None:
        hold = services.place_hold("P0001", self.journey.pk, self.desk)
        self.assertEqual(
            (hold.status, hold.patron, hold.record), ("waiting", self.ada_patron, self.journey)
        )
        self.assertEqual(CirculationEvent.objects.get(action="hold_placed").hold, hold)

    def test_it_refuses_while_a_copy_is_on_the_shelf(self) -> None:
        services.check_in("T0001", self.desk)
        message = "书架上还有这本书"
        self.refused(HoldRefused, message, services.place_hold, "P0001", self.journey, self.desk)

    def test_a_copy_kept_for_someone_else_does_not_count_as_on_the_shelf(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada
        pupil = self.student("P0009")
        self.assertEqual(services.place_hold(pupil, self.journey, self.desk).status, "waiting")

    def test_it_refuses_a_second_hold_and_a_hold_on_a_title_the_reader_has(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        message = "你已经预约了这本书"
        self.refused(HoldRefused, message, services.place_hold, "P0001", self.journey, self.desk)
        message = "你已经借了这本书"
        self.refused(HoldRefused, message, services.place_hold, "P0002", self.journey, self.desk)

    def test_it_refuses_a_blocked_reader(self) -> None:
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.CARD_LOST)
        message = "这张借书证已挂失"
        self.refused(PatronBlocked, message, services.place_hold, "P0001", self.journey, self.desk)

    def test_it_refuses_a_title_the_reader_may_not_borrow_or_hold(self) -> None:
        services.check_out("P0002", "M0001", self.desk)
        services.check_out("P0003", "M0002", self.desk)
        message = "这种书不能预约"
        # Periodicals: students may borrow them for a week, but not hold them.
        self.refused(HoldRefused, message, services.place_hold, "P0001", self.magazine, self.desk)
        # Dictionaries are read in the room.
        self.refused(HoldRefused, message, services.place_hold, "P0001", self.dictionary, self.desk)

    def test_it_refuses_an_unknown_title(self) -> None:
        message = "书目中没有这种书"
        self.refused(ItemNotFound, message, services.place_hold, "P0001", 999_999, self.desk)


class TrapTests(HoldTestCase):
    def test_the_first_reader_in_line_is_served_first(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        second = self.student("P0009")
        services.place_hold(second, self.journey, self.desk)
        self.assertEqual(services.check_in("T0002", self.desk).hold, self.hold_of(self.ada_patron))
        self.assertEqual(services.check_in("T0001", self.desk).hold, self.hold_of(second))

    def test_a_reader_who_may_not_borrow_the_returned_copy_is_passed_over(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        teacher = Patron.objects.create(card_number="P0020", name="李老师", type="teacher")
        services.place_hold(teacher, self.journey, self.desk)
        # T0002 now belongs to the teachers' reading room: Ada may not borrow it, Li may.
        Item.objects.filter(barcode="T0002").update(location=self.teachers_room)
        self.assertEqual(services.check_in("T0002", self.desk).hold, self.hold_of(teacher))
        self.assertEqual(self.hold_of(self.ada_patron).status, Hold.Status.WAITING)

    def test_a_reader_who_has_left_is_passed_over(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        pupil = self.student("P0009")
        services.place_hold(pupil, self.journey, self.desk)
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.LEFT)
        self.assertEqual(services.check_in("T0001", self.desk).hold, self.hold_of(pupil))

    def test_the_hold_waits_seven_days_counted_to_an_open_day(self) -> None:
        self.policy(hold_expiry_days=5)
        services.place_hold("P0001", self.journey, self.desk)
        hold = services.check_in("T0001", self.desk).hold
        self.assertEqual(hold.expires_on if hold else None, date(2026, 11, 30))  # not Sat 11-28


class FillTests(HoldTestCase):
    def new_copy(self) -> Item:
        return Item.objects.create(
            record=self.journey, barcode="T0003", accession_number="A-T0003", location=self.stacks
        )

    def test_the_reader_collects_the_copy_kept_for_them(self) -> None:
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)
        result = services.check_out("P0001", "T0001", self.desk)
        hold.refresh_from_db()
        self.assertEqual(result.hold_filled, hold)
        self.assertEqual((hold.status, hold.closed_at), (Hold.Status.FILLED, at("2026-11-23")))

    def test_a_waiting_reader_who_finds_a_copy_on_the_shelf_collects_their_hold(self) -> None:
        hold = services.place_hold("P0001", self.journey, self.desk)
        self.new_copy()
        self.assertEqual(services.check_out("P0001", "T0003", self.desk).hold_filled, hold)
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item.barcode), (Hold.Status.FILLED, "T0003"))  # type: ignore[union-attr]

    def test_a_reader_who_takes_another_copy_frees_the_one_kept_for_them(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        pupil = self.student("P0009")
        services.place_hold(pupil, self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada
        self.new_copy()
        services.check_out("P0001", "T0003", self.desk)
        self.assertEqual(self.hold_of(self.ada_patron).status, Hold.Status.FILLED)
        kept = self.hold_of(pupil)
        self.assertEqual((kept.status, kept.item.barcode), (Hold.Status.READY, "T0001"))  # type: ignore[union-attr]

    def test_with_nobody_else_waiting_the_freed_copy_goes_back_on_the_shelf(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)
        self.new_copy()
        services.check_out("P0001", "T0003", self.desk)
        self.assertFalse(Hold.objects.filter(status=Hold.Status.READY).exists())
        self.assertEqual(services.check_out("P0002", "T0001", self.desk).loan.item.barcode, "T0001")


class CancelAndExpireTests(HoldTestCase):
    def test_a_waiting_hold_is_cancelled(self) -> None:
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.cancel_hold(hold, self.desk)
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.closed_at), (Hold.Status.CANCELLED, at("2026-11-23")))

    def test_a_cancelled_ready_hold_passes_the_copy_to_the_next_reader(self) -> None:
        hold = services.place_hold("P0001", self.journey, self.desk)
        pupil = self.student("P0009")
        services.place_hold(pupil, self.journey, self.desk)
        services.check_in("T0001", self.desk)
        services.cancel_hold(hold, self.desk)
        kept = self.hold_of(pupil)
        self.assertEqual((kept.status, kept.item.barcode), (Hold.Status.READY, "T0001"))  # type: ignore[union-attr]

    def test_a_closed_hold_cannot_be_cancelled(self) -> None:
        hold = services.place_hold("P0001", self.journey, self.desk)
        services.cancel_hold(hold, self.desk)
        message = "这条预约已经结束"
        refused = self.refused(HoldRefused, message, services.cancel_hold, hold, self.desk)
        self.assertEqual(refused.code, "hold_refused")

    def test_a_hold_not_collected_in_time_expires_and_the_copy_passes_on(self) -> None:
        services.place_hold("P0001", self.journey, self.desk)
        pupil = self.student("P0009")
        services.place_hold(pupil, self.journey, self.desk)
        services.check_in("T0001", self.desk)  # kept for Ada until 11-30
        self.assertEqual(services.expire_holds(self.desk, today=date(2026, 11, 30)), 0)
        with time_machine.travel(at("2026-12-01", "07:00"), tick=False):
            self.assertEqual(services.expire_holds(self.desk, today=date(2026, 12, 1)), 1)
        self.assertEqual(self.hold_of(self.ada_patron).status, Hold.Status.EXPIRED)
        kept = self.hold_of(pupil)
        self.assertEqual((kept.status, kept.expires_on), (Hold.Status.READY, date(2026, 12, 8)))
