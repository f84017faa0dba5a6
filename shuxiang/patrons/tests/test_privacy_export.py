"""Exporting one patron's data (JSON and Excel) for the patron or their guardian."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons import services

from .test_patron_roles import PatronWorld


class PrivacyExportTests(PatronWorld):
    def setUp(self) -> None:
        self.client.force_login(self.lena)
        self.base = f"/staff/patrons/{self.ada_patron.pk}/export"
        self.loan(
            self.ada_patron,
            "T0001",
            out=date(2025, 3, 1),
            due=date(2025, 3, 15),
            returned=date(2025, 3, 10),
        )
        self.loan(self.ada_patron, "T0002", out=date(2025, 3, 11), due=date(2025, 3, 25))
        self.fine(self.ada_patron, "45.00", paid="5.00")
        services.report_card_lost(self.ada_patron, by=self.lena)
        services.reissue_card(self.ada_patron, by=self.lena, new_number="P0100")

    def export_json(self) -> dict[str, Any]:
        r = self.client.get(f"{self.base}.json")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r["Content-Type"], "application/json; charset=utf-8")
        self.assertIn('attachment; filename="patron-P0100-', r["Content-Disposition"])
        data: dict[str, Any] = json.loads(r.content)
        return data

    def test_the_json_holds_the_personal_fields(self) -> None:
        patron = self.export_json()["patron"]
        self.assertEqual(patron["name"], "王艾达")
        self.assertEqual(patron["card_number"], "P0100")
        self.assertEqual(patron["student_number"], "2022050201")
        self.assertEqual(patron["class"], "五年级(2)班")
        self.assertEqual(patron["guardian_phone"], "13800000001")
        self.assertEqual(patron["category"], "student_upper")
        self.assertEqual(patron["login"], "ada")

    def test_the_json_holds_the_loans_fines_and_card_events(self) -> None:
        data = self.export_json()
        self.assertEqual([loan["barcode"] for loan in data["loans"]], ["T0001", "T0002"])
        self.assertEqual(data["loans"][0]["title"], "西游记")
        self.assertEqual(data["loans"][0]["due_on"], "2025-03-15")
        self.assertIsNone(data["loans"][1]["returned_at"])
        self.assertEqual(data["fines"][0]["amount"], "45.00")
        self.assertEqual(data["retired_cards"][0]["number"], "P0001")
        actions = [event["action"] for event in data["events"]]
        self.assertEqual(actions[:2], ["patron.card_lost", "patron.card_reissued"])

    def test_the_workbook_has_a_sheet_per_list_with_chinese_headings(self) -> None:
        r = self.client.get(f"{self.base}.xlsx")
        self.assertEqual(r.status_code, 200)
        self.assertIn("spreadsheetml", r["Content-Type"])
        book = load_workbook(io.BytesIO(r.content))
        self.assertEqual(book.sheetnames, ["读者", "借阅记录", "赔偿", "停用的借书证", "操作记录"])
        fields = {row[0]: row[1] for row in book["读者"].iter_rows(min_row=2, values_only=True)}
        self.assertEqual(fields["name"], "王艾达")
        # Text, not a number: a 学号 with leading zeros would keep them.
        self.assertEqual(fields["student_number"], "2022050201")
        loans = list(book["借阅记录"].iter_rows(values_only=True))
        self.assertEqual(loans[0][:2], ("条码号", "题名"))
        self.assertEqual([row[0] for row in loans[1:]], ["T0001", "T0002"])

    def test_each_export_is_logged_without_personal_data(self) -> None:
        self.client.get(f"{self.base}.json")
        self.client.get(f"{self.base}.xlsx")
        rows = AuditLog.objects.filter(action="patron.exported").order_by("at", "pk")
        self.assertEqual([row.detail for row in rows], [{"format": "json"}, {"format": "xlsx"}])
        self.assertEqual({row.target_id for row in rows}, {str(self.ada_patron.pk)})

    def test_an_unknown_format_is_not_found(self) -> None:
        self.assertEqual(self.client.get(f"{self.base}.csv").status_code, 404)
