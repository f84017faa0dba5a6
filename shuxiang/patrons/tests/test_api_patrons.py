from __future__ import annotations

from datetime import date, timedelta

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import services as circulation
from shuxiang.circulation.models import Loan
from shuxiang.patrons import services
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

TODAY = date(2025, 11, 12)


@time_machine.travel(TODAY, tick=False)
class PatronApiTests(BaseTestCase):
    t1: Item
    t2: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")

    def get(self, card: str, user: User | None = None):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1/patrons/{card}", headers=self.auth(user or self.lena))

    def lend(self, patron: Patron, on: date) -> Loan:
        return Loan.objects.create(
            item=self.t1,
            patron=patron,
            school_class=patron.school_class,
            checked_out_on=on,
            due_on=on + timedelta(days=14),
        )

    def test_it_answers_with_the_patron_their_class_and_loans(self) -> None:
        self.lend(self.ada_patron, date(2025, 10, 1))
        r = self.get("P0001")
        self.assertEqual(r.status_code, 200, r.content)
        body = r.json()
        self.assertEqual(body["card"], "P0001")
        self.assertEqual(body["name"], "王艾达")
        self.assertEqual((body["type"], body["category"]), ("student", "student_upper"))
        self.assertEqual((body["grade"], body["grade_label"]), (5, "五年级"))
        self.assertEqual(body["class"], {"id": self.class_5_2.pk, "label": "五年级(2)班"})
        self.assertEqual(body["student_number"], "2022050201")
        self.assertEqual(body["status"], "active")
        self.assertEqual(
            body["loans"],
            [
                {
                    "item": "T0001",
                    "title": "西游记",
                    "call_number": "I242.4/1",
                    "checked_out": "2025-10-01",
                    "due": "2025-10-15",
                    "overdue_days": 28,
                }
            ],
        )
        self.assertEqual(body["overdue_loans"], 1)
        self.assertEqual((body["holds"], body["blocks"]), ([], []))
        self.assertEqual(body["guardian_phone"], "13800000001")

    def test_it_answers_for_a_teacher_without_a_class(self) -> None:
        body = self.get("P0002").json()
        self.assertEqual(
            (body["type"], body["category"], body["grade"]), ("teacher", "teacher", None)
        )
        self.assertIsNone(body["class"])
        self.assertEqual(body["staff_number"], "T001")

    def test_it_normalises_a_card_typed_in_full_width(self) -> None:
        self.assertEqual(self.get("ｐ０００１").json()["card"], "P0001")

    def test_it_says_patron_not_found_for_an_unknown_card(self) -> None:
        r = self.get("P9999")
        self.assertEqual(r.status_code, 404)
        self.assertEqual(r.json()["error"], "patron_not_found")
        self.assertIn("P9999", r.json()["message"])

    def test_it_says_card_retired_for_a_replaced_card(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        services.reissue_card(self.ada_patron, by=self.lena, new_number="P0100")
        r = self.get("P0001")
        self.assertEqual(r.status_code, 410)
        self.assertEqual(r.json()["error"], "card_retired")
        self.assertIn("挂失", r.json()["message"])
        self.assertEqual(self.get("P0100").json()["name"], "王艾达")

    def test_it_lists_why_a_patron_cannot_borrow(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        blocks = self.get("P0001").json()["blocks"]
        self.assertEqual([b["code"] for b in blocks], ["card_lost"])
        # The same words the desk shows when it refuses the loan.
        desk = circulation.patron_blocks(Patron.objects.get(pk=self.ada_patron.pk), today=TODAY)
        self.assertEqual(blocks[0]["message"], desk[0][1])
        for status in ("suspended", "graduated", "left"):
            Patron.objects.filter(pk=self.ada_patron.pk).update(status=status)
            with self.subTest(status=status):
                self.assertEqual([b["code"] for b in self.get("P0001").json()["blocks"]], [status])

    def test_it_lets_a_homeroom_teacher_see_their_own_students_and_themselves(self) -> None:
        r = self.get("P0001", self.hana)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["guardian_phone"], "13800000001")
        self.assertEqual(self.get("P0003", self.hana).status_code, 200)
        r = self.get("P0002", self.hana)
        self.assertEqual((r.status_code, r.json()["error"]), (403, "forbidden"))

    def test_it_lets_teachers_and_students_see_only_themselves_without_the_phone(self) -> None:
        r = self.get("P0001", self.ada)
        self.assertEqual(r.status_code, 200)
        self.assertIsNone(r.json()["guardian_phone"])
        self.assertEqual(self.get("P0002", self.tom).status_code, 200)
        self.assertEqual(self.get("P0002", self.ada).status_code, 403)
        self.assertEqual(self.get("P0001", self.tom).status_code, 403)

    def test_it_refuses_the_assistant_viewer_and_kiosk(self) -> None:
        for role in (User.Role.ASSISTANT, User.Role.VIEWER, User.Role.KIOSK):
            user = User.objects.create_user(f"u-{role}", role=role)
            for card in ("P0001", "P9999"):
                with self.subTest(role=role, card=card):
                    r = self.get(card, user)
                    self.assertEqual((r.status_code, r.json()["error"]), (403, "forbidden"))

    def test_it_needs_a_token(self) -> None:
        r = self.client.get("/api/v1/patrons/P0001")
        self.assertEqual((r.status_code, r.json()["error"]), (401, "unauthorized"))

    def test_it_audits_staff_lookups_only(self) -> None:
        self.get("P0001")
        self.get("P0001", self.hana)
        self.get("P0001", self.ada)
        logs = AuditLog.objects.filter(action="patron.viewed")
        self.assertEqual({(x.by, x.via) for x in logs}, {(self.lena, "api"), (self.hana, "api")})
        self.assertEqual({x.target_id for x in logs}, {str(self.ada_patron.pk)})

    def test_it_is_described_in_the_openapi_document(self) -> None:
        schema = self.client.get("/api/v1/openapi.json").json()
        self.assertIn("/api/v1/patrons/{card}", schema["paths"])
        self.assertIn("/api/v1/classes", schema["paths"])
        props = schema["components"]["schemas"]["PatronOut"]["properties"]
        self.assertIn("class", props)
        self.assertIn("blocks", props)


class ClassesApiTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        SchoolClass.objects.create(grade=3, number=1)
        SchoolClass.objects.create(grade=6, number=1, graduated_on=date(2025, 7, 1))
        Patron.objects.create(
            card_number="P0010", name="李博", school_class=cls.class_5_2, status="left"
        )

    def get(self, user: User, query: str = ""):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1/classes{query}", headers=self.auth(user))

    def test_it_lists_the_current_classes_for_the_librarian(self) -> None:
        body = self.get(self.lena).json()
        self.assertEqual([c["label"] for c in body], ["三年级(1)班", "五年级(2)班"])
        fifth = body[1]
        self.assertEqual(
            (fifth["grade"], fifth["number"], fifth["students"], fifth["homeroom_teacher"]),
            (5, 2, 1, "韩老师"),
        )

    def test_it_adds_graduated_classes_when_asked(self) -> None:
        labels = [c["label"] for c in self.get(self.lena, "?graduated=true").json()]
        self.assertEqual(labels, ["三年级(1)班", "五年级(2)班", "六年级(1)班（2025届）"])

    def test_it_shows_a_homeroom_teacher_their_own_classes(self) -> None:
        self.assertEqual([c["label"] for c in self.get(self.hana).json()], ["五年级(2)班"])

    def test_it_refuses_other_roles(self) -> None:
        for user in (self.tom, self.ada, User.objects.create_user("v", role=User.Role.VIEWER)):
            with self.subTest(user=user.username):
                self.assertEqual(self.get(user).status_code, 403)
