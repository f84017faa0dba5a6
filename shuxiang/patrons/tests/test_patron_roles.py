"""Who may open which patron page: every role against every page.

PatronWorld adds to the base school what these tests need: a second class (三年级(1)班) with
its own homeroom teacher Olga and pupil Bea, and one user of each remaining role.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from shuxiang.accounts.models import User
from shuxiang.catalog.models import Item
from shuxiang.circulation.models import Fine, Loan
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase


class PatronWorld(BaseTestCase):
    class_3_1: SchoolClass
    olga: User
    olga_patron: Patron
    bea: User
    bea_patron: Patron
    sam: User
    vera: User
    kiki: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.olga = User.objects.create_user("olga", role=User.Role.HOMEROOM, display_name="欧老师")
        cls.olga_patron = Patron.objects.create(
            card_number="P0011", name="欧老师", type=Patron.Type.TEACHER, user=cls.olga
        )
        cls.class_3_1 = SchoolClass.objects.create(
            grade=3, number=1, homeroom_teacher=cls.olga_patron
        )
        cls.bea = User.objects.create_user("bea", role=User.Role.STUDENT, display_name="白贝")
        cls.bea_patron = Patron.objects.create(
            card_number="P0012",
            name="白贝",
            student_number="2024030101",
            school_class=cls.class_3_1,
            guardian_phone="13900000002",
            user=cls.bea,
        )
        cls.sam = User.objects.create_user("sam", role=User.Role.ASSISTANT)
        cls.vera = User.objects.create_user("vera", role=User.Role.VIEWER)
        cls.kiki = User.objects.create_user("kiki", role=User.Role.KIOSK)

    def item(self, barcode: str) -> Item:
        """A copy of 西游记 with this barcode (T0001 and T0002 exist already)."""
        existing = Item.objects.filter(barcode=barcode).first()
        if existing is not None:
            return existing
        return Item.objects.create(
            record=self.journey, barcode=barcode, accession_number=barcode, location=self.stacks
        )

    def loan(
        self,
        patron: Patron,
        barcode: str,
        *,
        out: date,
        due: date,
        returned: date | None = None,
    ) -> Loan:
        returned_at = (
            timezone.make_aware(datetime.combine(returned, datetime.min.time()).replace(hour=12))
            if returned
            else None
        )
        return Loan.objects.create(
            item=self.item(barcode),
            patron=patron,
            school_class=patron.school_class,
            patron_type=patron.type,
            patron_category=patron.category,
            checked_out_on=out,
            checked_out_at=timezone.make_aware(datetime.combine(out, datetime.min.time())),
            due_on=due,
            returned_at=returned_at,
        )

    def fine(self, patron: Patron, amount: str, *, paid: str = "0") -> Fine:
        return Fine.objects.create(
            patron=patron,
            item=self.item("T0002"),
            reason=Fine.Reason.LOST,
            amount=Decimal(amount),
            paid=Decimal(paid),
        )


class PatronRoleMatrixTests(PatronWorld):
    """Each role × each patron page: 200, 403, a redirect to "my account", or to log in."""

    def pages(self) -> dict[str, str]:
        ada = self.ada_patron.pk
        return {
            "list": "/staff/patrons/",
            "new": "/staff/patrons/new/",
            "detail": f"/staff/patrons/{ada}/",
            "edit": f"/staff/patrons/{ada}/edit/",
            "card_lost": f"/staff/patrons/{ada}/card-lost/",
            "reissue": f"/staff/patrons/{ada}/reissue/",
            "suspend": f"/staff/patrons/{ada}/status/suspend/",
            "export_json": f"/staff/patrons/{ada}/export.json",
            "export_xlsx": f"/staff/patrons/{ada}/export.xlsx",
            "erase": f"/staff/patrons/{ada}/erase/",
            "me": "/staff/patrons/me/",
        }

    def expect(self, user: User | None, expected: dict[str, int | str]) -> None:
        self.client.logout()
        if user is not None:
            self.client.force_login(user)
        for page, url in self.pages().items():
            with self.subTest(user=str(user), page=page):
                r = self.client.get(url)
                want = expected.get(page, expected["*"])
                if isinstance(want, str):
                    self.assertEqual(r.status_code, 302)
                    self.assertTrue(r["Location"].startswith(want), r["Location"])
                else:
                    self.assertEqual(r.status_code, want)

    def test_the_librarian_opens_every_page(self) -> None:
        self.expect(self.lena, {"*": 200})

    def test_the_homeroom_teacher_sees_only_own_pupils_and_changes_nothing(self) -> None:
        self.expect(self.hana, {"*": 403, "detail": 200, "me": 200})

    def test_a_homeroom_teacher_of_another_class_sees_nothing_of_ada(self) -> None:
        self.expect(self.olga, {"*": 403, "me": 200})

    def test_a_teacher_sees_only_their_own_account(self) -> None:
        self.expect(self.tom, {"*": 403, "me": 200})

    def test_a_student_is_sent_from_their_own_record_to_my_account(self) -> None:
        self.expect(self.ada, {"*": 403, "detail": "/staff/patrons/me/", "me": 200})

    def test_another_student_sees_nothing_of_ada(self) -> None:
        self.expect(self.bea, {"*": 403, "me": 200})

    def test_assistants_viewers_and_kiosks_open_no_patron_page(self) -> None:
        for user in (self.sam, self.vera):
            self.expect(user, {"*": 403, "me": 200})
        # A kiosk's login is for SIP2: its web session is refused every page.
        self.expect(self.kiki, {"*": 403})

    def test_visitors_are_sent_to_log_in(self) -> None:
        self.expect(None, {"*": "/accounts/login/"})

    def test_changes_by_post_are_refused_to_everyone_but_the_librarian(self) -> None:
        ada = self.ada_patron.pk
        for user in (self.hana, self.ada, self.tom, self.sam, self.vera, self.kiki):
            self.client.force_login(user)
            for url in (
                f"/staff/patrons/{ada}/card-lost/",
                f"/staff/patrons/{ada}/reissue/",
                f"/staff/patrons/{ada}/status/suspend/",
                f"/staff/patrons/{ada}/erase/",
                f"/staff/patrons/{ada}/edit/",
            ):
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.client.post(url).status_code, 403)
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.status, Patron.Status.ACTIVE)
        self.assertEqual(self.ada_patron.card_number, "P0001")

    def test_an_unknown_patron_is_not_found(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get("/staff/patrons/99999/").status_code, 404)
        self.assertEqual(self.client.get("/staff/patrons/99999/edit/").status_code, 404)
