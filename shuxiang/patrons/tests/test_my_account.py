"""我的借阅: a reader's own card, loans and history, and nobody else's."""

from __future__ import annotations

from datetime import date

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.patrons import services

from .test_patron_roles import PatronWorld

URL = "/staff/patrons/me/"


@time_machine.travel("2025-03-20 10:00 +0800", tick=False)
class MyAccountTests(PatronWorld):
    def test_a_student_sees_their_card_class_and_loans(self) -> None:
        self.loan(self.ada_patron, "T0001", out=date(2025, 3, 1), due=date(2025, 3, 15))
        self.loan(
            self.ada_patron,
            "T0002",
            out=date(2025, 2, 20),
            due=date(2025, 3, 6),
            returned=date(2025, 3, 1),
        )
        self.client.force_login(self.ada)
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.context["patron"], self.ada_patron)
        for text in ("P0001", "五年级(2)班", "2025-03-15", "超期 5 天", "借阅历史"):
            self.assertContains(r, text)
        self.assertEqual([row.loan.item.barcode for row in r.context["current"]], ["T0001"])
        self.assertEqual([loan.item.barcode for loan in r.context["page_obj"]], ["T0002"])

    def test_a_student_sees_nobody_elses_loans(self) -> None:
        self.loan(self.bea_patron, "T0001", out=date(2025, 3, 1), due=date(2025, 3, 15))
        self.client.force_login(self.ada)
        r = self.client.get(URL)
        self.assertEqual(r.context["current"], [])
        self.assertNotContains(r, "白贝")
        self.assertNotContains(r, "P0012")

    def test_it_shows_neither_the_guardian_phone_nor_the_librarians_notes(self) -> None:
        self.ada_patron.notes = "家长说暑假要转学"
        self.ada_patron.save()
        self.client.force_login(self.ada)
        r = self.client.get(URL)
        self.assertNotContains(r, "13800000001")
        self.assertNotContains(r, "转学")

    def test_a_lost_card_is_explained_to_its_owner(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        self.client.force_login(self.ada)
        self.assertContains(self.client.get(URL), "借书证 P0001 已挂失")

    def test_a_teacher_sees_their_own_account(self) -> None:
        self.client.force_login(self.tom)
        r = self.client.get(URL)
        self.assertContains(r, "P0002")
        self.assertContains(r, "工号")

    def test_a_login_without_a_card_gets_a_friendly_message(self) -> None:
        self.client.force_login(self.vera)
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "您的账号还没有关联借书证")

    def test_looking_at_ones_own_account_is_not_a_staff_view(self) -> None:
        self.client.force_login(self.ada)
        self.client.get(URL)
        self.client.get(f"/staff/patrons/{self.ada_patron.pk}/")
        self.assertFalse(AuditLog.objects.filter(action="patron.viewed").exists())


class NavigationTests(PatronWorld):
    def nav(self, user: User) -> str:
        self.client.force_login(user)
        return self.client.get("/").content.decode()

    def test_the_librarian_gets_patrons_and_classes(self) -> None:
        page = self.nav(self.lena)
        self.assertIn('href="/staff/patrons/"', page)
        self.assertIn('href="/staff/patrons/classes/"', page)
        self.assertNotIn('href="/staff/patrons/me/"', page)

    def test_a_homeroom_teacher_gets_my_class_and_my_account(self) -> None:
        page = self.nav(self.hana)
        self.assertIn('href="/staff/patrons/my-class/"', page)
        self.assertIn('href="/staff/patrons/me/"', page)
        self.assertNotIn('href="/staff/patrons/"', page)

    def test_students_and_teachers_get_my_account_only(self) -> None:
        for user in (self.ada, self.tom):
            page = self.nav(user)
            self.assertIn('href="/staff/patrons/me/"', page)
            self.assertNotIn('href="/staff/patrons/"', page)
            self.assertNotIn('href="/staff/patrons/my-class/"', page)

    def test_the_current_page_is_marked_active(self) -> None:
        self.client.force_login(self.ada)
        page = self.client.get(URL).content.decode()
        self.assertIn('class="nav-link active" href="/staff/patrons/me/"', page)
