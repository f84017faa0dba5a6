from __future__ import annotations

from datetime import date, timedelta

from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent, Hold, Loan
from shuxiang.circulation.tests.test_desk_base import NOON, DeskTestCase
from shuxiang.patrons.models import Patron, SchoolClass


class DeskCheckinTests(DeskTestCase):
    def lend(self, item: Item, patron: Patron | None, *, due: date, **extra: object) -> Loan:
        Item.objects.filter(pk=item.pk).update(status=Item.Status.ON_LOAN)
        fields: dict[str, object] = {"school_class": patron.school_class if patron else None}
        fields.update(extra)
        return Loan.objects.create(
            item=item, patron=patron, checked_out_on=due - timedelta(days=14), due_on=due, **fields
        )

    def test_a_book_scanned_with_no_reader_open_is_returned_and_says_whose_it_was(self) -> None:
        loan = self.lend(self.t1, self.ada_patron, due=date(2026, 12, 1))
        r = self.scan("T0001")
        self.assertBanner(r, "ok", "还回：《西游记》", "借书人：王艾达（五年级(2)班）。")
        loan.refresh_from_db()
        self.assertIsNotNone(loan.returned_at)
        self.assertEqual(Item.objects.get(pk=self.t1.pk).status, Item.Status.ON_SHELF)
        event = CirculationEvent.objects.get(action="checkin")
        self.assertEqual((event.by, event.via, event.station), (self.sam, "desk", "desk"))

    def test_an_overdue_return_is_amber_with_the_days(self) -> None:
        self.lend(self.t1, self.ada_patron, due=NOON.date() - timedelta(days=5))
        r = self.scan("T0001")
        self.assertBanner(r, "warn", "还回：《西游记》", "超期 5 天。")

    def test_a_return_kept_for_a_hold_names_the_reader_and_class_prominently(self) -> None:
        class_3_1 = SchoolClass.objects.create(grade=3, number=1)
        cai = Patron.objects.create(card_number="P0005", name="蔡小雨", school_class=class_3_1)
        hold = Hold.objects.create(record=self.journey, patron=cai)
        self.lend(self.t1, self.ada_patron, due=date(2026, 12, 1))
        r = self.scan("T0001")
        self.assertBanner(r, "warn", "还回：《西游记》")
        self.assertIn(
            '<p class="sx-feedback-hold">这本书预约给 蔡小雨（三年级(1)班）：请放到预约架上！</p>',
            self.banner(r),
        )
        hold.refresh_from_db()
        self.assertEqual((hold.status, hold.item), (Hold.Status.READY, self.t1))

    def test_a_reading_room_book_back_says_so(self) -> None:
        self.lend(self.t3, self.ada_patron, due=NOON.date(), kind=Loan.Kind.IN_ROOM)
        r = self.scan("T0003")
        self.assertBanner(r, "ok", "还回：《红楼梦》", "阅览室用书已归还。")

    def test_a_class_corner_book_back_names_the_class(self) -> None:
        self.lend(
            self.t1,
            None,
            due=date(2027, 1, 29),
            kind=Loan.Kind.CLASS_CORNER,
            school_class=self.class_5_2,
        )
        r = self.scan("T0001")
        self.assertBanner(r, "ok", "来自五年级(2)班的班级图书角。")

    def test_a_return_does_not_open_anyone(self) -> None:
        self.lend(self.t1, self.ada_patron, due=date(2026, 12, 1))
        r = self.scan("T0001")
        self.assertContains(r, "还没有打开读者")
        self.assertIsNone(self.client.session["desk"].get("patron"))
