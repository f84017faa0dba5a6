from __future__ import annotations

from datetime import date

from django.db import connection

from shuxiang.catalog.models import Item, Location
from shuxiang.circulation import config, services
from shuxiang.circulation.errors import (
    AlreadyOnLoan,
    HeldForOther,
    ItemNotFound,
    LimitReached,
    NotForLoan,
    OutsideSlot,
    PatronBlocked,
)
from shuxiang.circulation.models import CirculationEvent, CirculationPolicy, Hold, LendingSlot, Loan
from shuxiang.circulation.tests.service_case import ServiceTestCase, at
from shuxiang.patrons import services as patron_services
from shuxiang.patrons.errors import CardRetired, PatronNotFound
from shuxiang.patrons.models import Patron


class CheckOutTests(ServiceTestCase):
    def test_it_lends_a_copy_to_a_student_for_fourteen_days(self) -> None:
        result = services.check_out("P0001", "T0001", self.desk)
        loan = Loan.objects.get()
        self.assertEqual(result.loan, loan)
        self.assertEqual(loan.due_on, date(2026, 12, 7))
        self.assertEqual(loan.checked_out_on, date(2026, 11, 23))
        self.assertEqual(loan.kind, Loan.Kind.REGULAR)
        self.assertEqual((loan.patron, loan.item.barcode), (self.ada_patron, "T0001"))
        self.assertEqual((loan.checked_out_by, loan.via), (self.lena, "desk"))
        self.assertEqual(self.item("T0001").status, Item.Status.ON_LOAN)
        self.assertEqual(result.warnings, [])
        self.assertIsNone(result.hold_filled)

    def test_it_keeps_the_class_and_category_of_the_day_on_the_loan(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        loan = Loan.objects.get()
        self.assertEqual(loan.school_class, self.class_5_2)
        self.assertEqual((loan.patron_type, loan.patron_category), ("student", "student_upper"))

    def test_it_takes_patron_and_copy_as_objects(self) -> None:
        result = services.check_out(self.ada_patron, self.item("T0001"), self.desk)
        self.assertEqual(result.loan.item.barcode, "T0001")

    def test_it_reads_codes_as_a_scanner_or_a_phone_keyboard_types_them(self) -> None:
        result = services.check_out(" p０００1 ", "t0001\n", self.desk)
        self.assertEqual((result.loan.patron, result.loan.item.barcode), (self.ada_patron, "T0001"))

    def test_it_lends_a_teacher_ten_books_for_sixty_days(self) -> None:
        self.record("教学参考", [f"J{n:04d}" for n in range(11)])
        for n in range(10):
            services.check_out("P0002", f"J{n:04d}", self.desk)
        self.assertEqual(Loan.objects.filter(patron=self.tom_patron).count(), 10)
        self.assertEqual(Loan.objects.first().due_on, date(2027, 1, 22))  # type: ignore[union-attr]
        self.refused(
            LimitReached, "最多可借 10 册", services.check_out, "P0002", "J0010", self.desk
        )


class CheckOutRefusalTests(ServiceTestCase):
    """Every refusal has its reason in Chinese and its API code, and changes nothing."""

    def refuse(self, error: type[Exception], message: str, card: object, barcode: str) -> str:
        """check_out(card, barcode) is refused; the refusal's code."""
        return str(self.refused(error, message, services.check_out, card, barcode, self.desk).code)

    def test_it_refuses_an_unknown_card(self) -> None:
        code = self.refuse(PatronNotFound, "没有借书证号为 P9999 的读者", "P9999", "T0001")
        self.assertEqual(code, "patron_not_found")

    def test_it_refuses_an_unknown_item(self) -> None:
        code = self.refuse(ItemNotFound, "没有条码号为 X9999 的书", "P0001", "x9999")
        self.assertEqual(code, "item_not_found")

    def test_it_refuses_a_card_reported_lost(self) -> None:
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        code = self.refuse(PatronBlocked, "这张借书证已挂失", "P0001", "T0001")
        self.assertEqual(code, "patron_blocked")

    def test_it_refuses_a_replaced_card_and_lends_to_the_new_one(self) -> None:
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        patron_services.reissue_card(self.ada_patron, by=self.lena, new_number="P0101")
        code = self.refuse(CardRetired, "P0001", "P0001", "T0001")
        self.assertEqual(code, "card_retired")
        loan = services.check_out("P0101", "T0001", self.desk).loan
        self.assertEqual(loan.patron, self.ada_patron)

    def test_it_reads_afresh_a_patron_the_desk_opened_a_moment_ago(self) -> None:
        opened = Patron.objects.get(pk=self.ada_patron.pk)
        patron_services.reissue_card(self.ada_patron, by=self.lena, new_number="P0101")
        self.assertEqual(services.check_out(opened, "T0001", self.desk).loan.patron, opened)
        patron_services.report_card_lost(self.ada_patron, by=self.lena)
        self.refuse(PatronBlocked, "这张借书证已挂失", opened, "T0002")

    def test_it_refuses_a_suspended_graduated_or_departed_patron(self) -> None:
        for status, message in (
            (Patron.Status.SUSPENDED, "该读者已被暂停借阅"),
            (Patron.Status.GRADUATED, "该读者已毕业"),
            (Patron.Status.LEFT, "该读者已离校"),
        ):
            Patron.objects.filter(pk=self.ada_patron.pk).update(status=status)
            with self.subTest(status):
                code = self.refuse(PatronBlocked, message, "P0001", "T0001")
                self.assertEqual(code, "patron_blocked")

    def test_it_refuses_a_third_book_to_a_student(self) -> None:
        self.record("三国演义", ["S0001"])
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)
        code = self.refuse(LimitReached, "王艾达已借 2 册，最多可借 2 册", "P0001", "S0001")
        self.assertEqual(code, "limit_reached")

    def test_it_lends_a_reference_book_for_use_in_the_room_counted_apart(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)
        result = services.check_out("P0001", "D0001", self.desk)
        self.assertEqual(result.loan.kind, Loan.Kind.IN_ROOM)
        self.assertEqual(result.loan.due_on, date(2026, 11, 23))
        self.assertEqual(Loan.objects.filter(kind=Loan.Kind.REGULAR).count(), 2)
        # The in-room limit is the reference rule's own: two at a time.
        services.check_out("P0001", "D0002", self.desk)
        self.refuse(LimitReached, "王艾达已借 2 册", "P0001", "D0003")

    def test_it_lends_a_reading_room_copy_for_use_in_the_room(self) -> None:
        self.record("读者", ["Y0001"], location=self.reading_room)
        loan = services.check_out("P0001", "Y0001", self.desk).loan
        self.assertEqual((loan.kind, loan.due_on), (Loan.Kind.IN_ROOM, date(2026, 11, 23)))

    def test_it_refuses_a_book_not_for_loan_to_students(self) -> None:
        self.record("教案", ["K0001"], item_type=Item.ItemType.TEACHING)
        self.record("教师用书", ["K0002"], location=self.teachers_room)
        for barcode in ("K0001", "K0002"):
            with self.subTest(barcode):
                code = self.refuse(NotForLoan, "这本书不外借给该读者", "P0001", barcode)
                self.assertEqual(code, "not_for_loan")
        self.assertEqual(services.check_out("P0002", "K0002", self.desk).loan.kind, "regular")

    def test_it_refuses_a_copy_from_a_location_that_does_not_lend(self) -> None:
        archive = Location.objects.create(code="ARCHIVE", name="档案室", lends=False)
        self.record("校史", ["H0001"], location=archive)
        self.refuse(NotForLoan, "档案室的书不外借", "P0001", "H0001")

    def test_it_refuses_a_copy_out_of_circulation(self) -> None:
        for status, message in (
            (Item.Status.LOST, "已登记为丢失"),
            (Item.Status.MISSING, "缺失"),
            (Item.Status.DAMAGED, "已损坏"),
            (Item.Status.IN_REPAIR, "正在修补"),
            (Item.Status.WITHDRAWN, "已注销"),
            (Item.Status.PROCESSING, "还在加工"),
        ):
            Item.objects.filter(barcode="T0001").update(status=status)
            with self.subTest(status):
                self.refuse(NotForLoan, message, "P0001", "T0001")

    def test_it_refuses_a_book_the_patron_already_has(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        code = self.refuse(AlreadyOnLoan, "王艾达已经借了这本书", "P0001", "T0001")
        self.assertEqual(code, "already_on_loan")

    def test_it_refuses_a_book_on_loan_to_another_patron(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        code = self.refuse(AlreadyOnLoan, "这本书已借出，请先还书", "P0001", "T0001")
        self.assertEqual(code, "already_on_loan")

    def test_the_unique_index_refuses_a_second_loan_even_when_the_status_is_wrong(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        # As if another desk had lent it the moment after this one read the copy.
        Item.objects.filter(barcode="T0001").update(status=Item.Status.ON_SHELF)
        self.refuse(AlreadyOnLoan, "这本书已借出，请先还书", "P0001", "T0001")
        self.assertEqual(Loan.objects.open().count(), 1)

    def test_it_refuses_a_book_kept_for_another_readers_hold(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)
        code = self.refuse(HeldForOther, "已为其他读者的预约保留", "P0002", "T0001")
        self.assertEqual(code, "held_for_other")
        filled = services.check_out("P0001", "T0001", self.desk).hold_filled
        self.assertEqual(filled.status if filled else None, Hold.Status.FILLED)

    def test_it_refuses_a_patron_with_a_book_overdue_beyond_the_block(self) -> None:
        self.policy(overdue_block_days=3)
        services.check_out("P0001", "T0001", self.desk, now=at("2026-11-04"))  # due 11-18
        code = self.refuse(PatronBlocked, "有超期 3 天以上的书", "P0001", "T0002")  # 5 days late
        self.assertEqual(code, "patron_blocked")
        blocks = services.patron_blocks(self.ada_patron, today=date(2026, 11, 23))
        self.assertEqual([code for code, _reason in blocks], ["overdue"])

    def test_a_book_overdue_within_the_block_does_not_stop_borrowing(self) -> None:
        self.policy(overdue_block_days=5)
        services.check_out("P0001", "T0001", self.desk, now=at("2026-11-04"))  # due 11-18
        services.check_out("P0001", "T0002", self.desk)
        self.assertEqual(services.patron_blocks(self.ada_patron, today=date(2026, 11, 23)), [])

    def test_without_a_block_overdue_books_never_stop_borrowing(self) -> None:
        services.check_out("P0001", "T0001", self.desk, now=at("2026-09-01"))
        services.check_out("P0001", "T0002", self.desk)


class ClassSlotTests(ServiceTestCase):
    """The rotation (借还书轮流安排表): 五年级(2)班 borrows on Tuesdays at noon."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        LendingSlot.objects.get(weekday=1).classes.add(cls.class_5_2)

    def test_it_refuses_a_student_outside_the_class_slot_when_the_school_says_so(self) -> None:
        self.policy(slot_mode=CirculationPolicy.SlotMode.REFUSE)
        message = "现在不是五年级(2)班的借书时间"
        refused = self.refused(
            OutsideSlot, message, services.check_out, "P0001", "T0001", self.desk
        )
        self.assertEqual(refused.code, "outside_slot")

    def test_it_lends_with_a_warning_outside_the_slot_by_default(self) -> None:
        result = services.check_out("P0001", "T0001", self.desk)
        self.assertEqual(result.warnings, ["现在不是五年级(2)班的借书时间。"])
        self.assertTrue(CirculationEvent.objects.get(action="checkout").detail["outside_slot"])

    def test_it_lends_without_a_word_in_the_slot(self) -> None:
        self.policy(slot_mode=CirculationPolicy.SlotMode.REFUSE)
        result = services.check_out("P0001", "T0001", self.desk, now=at("2026-11-24", "12:10"))
        self.assertEqual(result.warnings, [])
        self.assertNotIn("outside_slot", CirculationEvent.objects.get().detail)

    def test_it_does_not_check_teachers_or_in_room_use_or_when_switched_off(self) -> None:
        self.policy(slot_mode=CirculationPolicy.SlotMode.REFUSE)
        self.assertEqual(services.check_out("P0002", "T0001", self.desk).warnings, [])
        self.assertEqual(services.check_out("P0001", "D0001", self.desk).warnings, [])
        self.policy(slot_mode=CirculationPolicy.SlotMode.OFF)
        self.assertEqual(services.check_out("P0001", "T0002", self.desk).warnings, [])

    def test_a_class_with_no_slot_yet_borrows_any_time_until_a_rotation_exists(self) -> None:
        LendingSlot.objects.get(weekday=1).classes.clear()
        self.policy(slot_mode=CirculationPolicy.SlotMode.REFUSE)
        self.assertEqual(
            services.check_out("P0001", "T0001", self.desk, now=at("2026-11-23", "15:00")).warnings,
            [],
        )


class CheckOutQueryTests(ServiceTestCase):
    """The noon rush: a checkout reads the patron with their loans and the copy, and writes the
    loan, the copy's status and the event. (Two more statements are the test's savepoint.)"""

    def test_a_checkout_takes_five_statements_on_sqlite_and_seven_on_postgresql(self) -> None:
        config.snapshot()
        services.check_out("P0001", "T0002", self.desk)  # compiles the lookups once
        # PostgreSQL reads the loans and the holds again after taking its row locks.
        expected = 5 if connection.vendor == "sqlite" else 7
        with self.assertNumQueries(expected + 2):
            services.check_out("P0002", "T0001", self.desk)

    def test_a_copy_with_holds_costs_one_statement_more(self) -> None:
        config.snapshot()
        services.check_out("P0002", "T0001", self.desk)
        services.check_out("P0003", "T0002", self.desk)
        services.place_hold("P0001", self.journey, self.desk)
        services.check_in("T0001", self.desk)
        expected = 8 if connection.vendor == "sqlite" else 9  # + the hold's update and event
        with self.assertNumQueries(expected + 2):
            services.check_out("P0001", "T0001", self.desk)
        self.assertEqual(Hold.objects.get().status, Hold.Status.FILLED)

    def test_the_settings_are_read_once_not_on_every_scan(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        with self.assertNumQueries(0):
            config.snapshot()
        # An edit drops them at once: the next scan reads them again.
        CirculationPolicy.objects.get(pk=1).save()
        with self.assertNumQueries(8):
            config.snapshot()
