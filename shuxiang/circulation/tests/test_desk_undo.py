from __future__ import annotations

from datetime import date, timedelta

import time_machine

from shuxiang.catalog.models import Item
from shuxiang.circulation.models import CirculationEvent, Hold, Loan
from shuxiang.circulation.tests.test_desk_base import NOON, DeskTestCase


class DeskUndoTests(DeskTestCase):
    def test_undo_takes_back_the_last_loan(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        r = self.press("undo")
        self.assertBanner(r, "ok", "已撤销借出：《西游记》。")
        self.assertFalse(Loan.objects.exists())
        self.assertEqual(Item.objects.get(pk=self.t1.pk).status, Item.Status.ON_SHELF)
        self.assertContains(r, "（已撤销）")
        self.assertContains(r, "还可借 <strong>2</strong> 册")
        self.assertEqual(CirculationEvent.objects.get(action="undone").by, self.sam)

    def test_undo_again_takes_back_the_loan_before(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.scan("T0003")
        self.press("undo")
        self.assertEqual([loan.item for loan in Loan.objects.all()], [self.t1])
        self.press("undo")
        self.assertFalse(Loan.objects.exists())
        self.assertBanner(self.press("undo"), "info", "没有可以撤销的操作。")

    def test_undo_takes_back_a_return_and_its_hold(self) -> None:
        Item.objects.filter(pk=self.t1.pk).update(status=Item.Status.ON_LOAN)
        loan = Loan.objects.create(
            item=self.t1,
            patron=self.ada_patron,
            checked_out_on=date(2026, 11, 16),
            due_on=date(2026, 11, 30),
        )
        hold = Hold.objects.create(record=self.journey, patron=self.bo)
        self.scan("T0001")
        r = self.press("undo")
        self.assertBanner(r, "ok", "已撤销还书：《西游记》。")
        loan.refresh_from_db()
        hold.refresh_from_db()
        self.assertIsNone(loan.returned_at)
        self.assertEqual(hold.status, Hold.Status.WAITING)

    def test_undo_leaves_refusals_alone_and_finds_the_last_real_action(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.scan("X9999")
        self.press("undo")
        self.assertFalse(Loan.objects.exists())

    def test_undo_is_refused_in_red_once_too_late(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        with time_machine.travel(NOON + timedelta(minutes=11), tick=False):
            r = self.press("undo")
        self.assertBanner(r, "refuse")
        self.assertTrue(Loan.objects.exists())
        self.assertContains(r, "《西游记》")

    def test_undo_is_refused_when_the_book_has_moved_on(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.press("close")
        self.scan("T0001")  # returned at once: the loan is history now
        self.press("undo")  # takes back the return
        self.assertTrue(Loan.objects.open().exists())
        r = self.press("undo")  # the loan itself: the return and its undo came after it
        self.assertBanner(r, "refuse")
        self.assertTrue(Loan.objects.open().exists())

    def test_another_desk_has_its_own_undo(self) -> None:
        self.scan("P0001")
        self.scan("T0001")
        self.client.logout()
        self.client.force_login(self.lena)
        self.assertBanner(self.press("undo"), "info", "没有可以撤销的操作。")
        self.assertTrue(Loan.objects.exists())
