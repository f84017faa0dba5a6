from __future__ import annotations

from datetime import date

import time_machine

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons import services
from shuxiang.patrons.models import Patron

from .test_patron_roles import PatronWorld

TODAY = "2025-03-20 10:00 +0800"


@time_machine.travel(TODAY, tick=False)
class PatronDetailViewTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.url = f"/staff/patrons/{self.ada_patron.pk}/"

    def test_it_shows_the_patron_and_the_card(self) -> None:
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        for text in ("王艾达", "P0001", "2022050201", "五年级(2)班", "女", "2022", "高年级学生"):
            self.assertContains(r, text)
        self.assertContains(r, f'href="/staff/patrons/classes/{self.class_5_2.pk}/"')
        self.assertContains(r, 'data-status="active"')

    def test_the_librarian_sees_the_guardian_phone(self) -> None:
        self.assertContains(self.client.get(self.url), "13800000001")

    def test_the_homeroom_teacher_of_the_class_sees_the_guardian_phone(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(self.url)
        self.assertContains(r, "13800000001")
        self.assertNotContains(r, "/edit/")
        self.assertNotContains(r, "card-lost")

    def test_every_view_by_staff_is_logged_without_personal_data(self) -> None:
        self.client.get(self.url)
        self.client.force_login(self.hana)
        self.client.get(self.url)
        rows = AuditLog.objects.filter(action="patron.viewed").order_by("at", "pk")
        self.assertEqual([row.by for row in rows], [self.lena, self.hana])
        self.assertEqual({row.target_id for row in rows}, {str(self.ada_patron.pk)})
        self.assertEqual({row.target_type for row in rows}, {"patron"})
        self.assertEqual([row.detail for row in rows], [{}, {}])

    def test_refused_views_are_not_logged_as_views(self) -> None:
        self.client.force_login(self.olga)
        self.client.get(self.url)
        self.assertFalse(AuditLog.objects.filter(action="patron.viewed").exists())

    def test_it_lists_current_loans_with_due_dates_and_days_overdue(self) -> None:
        self.loan(self.ada_patron, "T0001", out=date(2025, 3, 1), due=date(2025, 3, 15))
        self.loan(self.ada_patron, "T0002", out=date(2025, 3, 10), due=date(2025, 3, 24))
        r = self.client.get(self.url)
        rows = r.context["current"]
        self.assertEqual([row.loan.item.barcode for row in rows], ["T0001", "T0002"])
        self.assertEqual([row.overdue_days for row in rows], [5, 0])
        self.assertContains(r, "2025-03-15")
        self.assertContains(r, "超期 5 天")

    def test_it_pages_the_loan_history_latest_first(self) -> None:
        for n in range(25):
            day = date(2024, 9, 1 + n)
            self.loan(self.ada_patron, f"H{n:03d}", out=day, due=day, returned=day)
        r = self.client.get(self.url)
        history = r.context["page_obj"]
        self.assertEqual(history.paginator.count, 25)
        self.assertEqual(len(history), 20)
        self.assertEqual(history[0].item.barcode, "H024")
        r = self.client.get(self.url, {"page": "2"})
        self.assertEqual([loan.item.barcode for loan in r.context["page_obj"]][-1], "H000")

    def test_it_shows_compensation_still_due(self) -> None:
        self.fine(self.ada_patron, "45.00", paid="5.00")
        r = self.client.get(self.url)
        self.assertContains(r, 'id="fines"')
        self.assertContains(r, "40.00")

    def test_a_lost_card_is_shown_as_blocked(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        r = self.client.get(self.url)
        self.assertContains(r, 'data-status="card_lost"')
        self.assertContains(r, "已挂失")
        self.assertContains(r, "alert-danger")
        self.assertNotContains(r, f"/staff/patrons/{self.ada_patron.pk}/card-lost/")
        self.assertContains(r, f"/staff/patrons/{self.ada_patron.pk}/reissue/")

    def test_it_lists_the_retired_card_numbers(self) -> None:
        services.reissue_card(self.ada_patron, by=self.lena, new_number="P0100")
        r = self.client.get(self.url)
        self.assertContains(r, 'id="retired-cards"')
        self.assertContains(r, "P0001")
        self.assertContains(r, "P0100")

    def test_each_status_has_its_badge(self) -> None:
        for status in Patron.Status.values:
            Patron.objects.filter(pk=self.ada_patron.pk).update(status=status)
            with self.subTest(status=status):
                self.assertContains(self.client.get(self.url), f'data-status="{status}"')

    def test_the_librarian_gets_the_actions_that_fit_the_status(self) -> None:
        r = self.client.get(self.url)
        self.assertContains(r, "/status/suspend/")
        self.assertContains(r, "/status/leave/")
        self.assertNotContains(r, "/status/reactivate/")
        self.assertContains(r, "/export.xlsx")
        self.assertContains(r, "/erase/")
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.SUSPENDED)
        r = self.client.get(self.url)
        self.assertContains(r, "/status/reactivate/")
        self.assertNotContains(r, "/status/suspend/")
        self.assertNotContains(r, "/reissue/")
