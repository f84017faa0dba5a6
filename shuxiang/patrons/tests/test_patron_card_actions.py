"""挂失 and 补办 from the patron's page, and the status buttons (suspend, reactivate, left)."""

from __future__ import annotations

from django.utils import timezone

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons import services
from shuxiang.patrons.errors import CardRetired
from shuxiang.patrons.models import Patron

from .test_patron_roles import PatronWorld


class CardLostViewTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/patrons/{self.ada_patron.pk}/card-lost/"

    def test_it_asks_for_confirmation_first(self) -> None:
        r = self.client.get(self.url)
        self.assertContains(r, "挂失后，借书证 P0001")
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.status, Patron.Status.ACTIVE)

    def test_it_blocks_the_card_at_once(self) -> None:
        r = self.client.post(self.url, follow=True)
        self.assertRedirects(r, f"/staff/patrons/{self.ada_patron.pk}/")
        self.assertContains(r, "借书证 P0001 已挂失")
        self.assertContains(r, 'data-status="card_lost"')
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.status, Patron.Status.CARD_LOST)
        patron = services.find_patron_by_card("P0001")
        self.assertFalse(patron.is_active)
        self.assertTrue(AuditLog.objects.filter(action="patron.card_lost").exists())

    def test_a_second_report_is_refused_with_a_reason(self) -> None:
        self.client.post(self.url)
        r = self.client.post(self.url, follow=True)
        self.assertContains(r, "只有正常状态读者的借书证才能挂失")
        self.assertEqual(AuditLog.objects.filter(action="patron.card_lost").count(), 1)


class ReissueViewTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/patrons/{self.ada_patron.pk}/reissue/"
        services.report_card_lost(self.ada_patron, by=self.lena)

    def test_it_shows_the_form_with_the_cursor_in_the_number_box(self) -> None:
        r = self.client.get(self.url)
        self.assertContains(r, 'name="new_number"')
        self.assertContains(r, "autofocus")
        self.assertContains(r, "P0001")

    def test_it_issues_the_next_number_and_refuses_the_old_one(self) -> None:
        r = self.client.post(self.url, {"new_number": ""}, follow=True)
        self.ada_patron.refresh_from_db()
        new = self.ada_patron.card_number
        self.assertNotEqual(new, "P0001")
        self.assertEqual(self.ada_patron.status, Patron.Status.ACTIVE)
        self.assertContains(r, f"已补办新证 {new}。旧证 P0001 已在各处失效")
        self.assertEqual(services.find_patron_by_card(new), self.ada_patron)
        with self.assertRaisesMessage(CardRetired, "借书证 P0001 已挂失并补办新证"):
            services.find_patron_by_card("P0001")

    def test_it_takes_a_scanned_new_card(self) -> None:
        self.client.post(self.url, {"new_number": " ｐ０５００ "})
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.card_number, "P0500")

    def test_a_number_in_use_is_refused_and_nothing_changes(self) -> None:
        r = self.client.post(self.url, {"new_number": "P0002"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "借书证号 P0002 已被使用")
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.card_number, "P0001")
        self.assertEqual(self.ada_patron.status, Patron.Status.CARD_LOST)


class StatusViewTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def url(self, action: str) -> str:
        return f"/staff/patrons/{self.ada_patron.pk}/status/{action}/"

    def test_suspend_asks_first_then_suspends(self) -> None:
        self.assertContains(self.client.get(self.url("suspend")), "恢复之前，该读者不能借书")
        r = self.client.post(self.url("suspend"), follow=True)
        self.assertContains(r, "状态已改为：暂停借阅")
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.status, Patron.Status.SUSPENDED)

    def test_marking_left_warns_of_books_still_out(self) -> None:
        today = timezone.localdate()
        self.loan(self.ada_patron, "T0001", out=today, due=today)
        self.assertContains(self.client.get(self.url("leave")), "尚有 1 本书未还")
        self.client.post(self.url("leave"))
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.status, Patron.Status.LEFT)

    def test_a_change_that_does_not_fit_is_explained(self) -> None:
        r = self.client.post(self.url("reactivate"), follow=True)
        self.assertContains(r, "该读者已经是：正常")

    def test_an_unknown_action_is_not_found(self) -> None:
        self.assertEqual(self.client.get(self.url("graduate")).status_code, 404)
        self.assertEqual(self.client.post(self.url("graduate")).status_code, 404)
