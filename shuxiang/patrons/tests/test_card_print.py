"""Library cards (借书证): who gets one, the PDF read back, the screen and the command."""

from __future__ import annotations

import tempfile
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image

from shuxiang.accounts.models import AuditLog
from shuxiang.lib.labels import PRESETS
from shuxiang.lib.tests.test_labels_drawing import decode, page_text, pages
from shuxiang.patrons import card_print
from shuxiang.patrons.card_print import CardPrintError, CardSelection
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

SCHOOL = "海淀区实验小学"
URL = reverse("cards:index")


class CardCase(BaseTestCase):
    class_3_2: SchoolClass
    bo: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.class_3_2 = SchoolClass.objects.create(grade=3, number=2)
        cls.bo = Patron.objects.create(
            card_number="R000010",
            name="李博",
            student_number="2024030201",
            school_class=cls.class_3_2,
            card_issued_on=date(2026, 9, 1),
        )
        Patron.objects.create(
            card_number="R000011",
            name="已转学",
            school_class=cls.class_5_2,
            status=Patron.Status.LEFT,
            card_issued_on=date(2026, 9, 1),
        )
        Patron.objects.filter(card_number__in=["P0001", "P0002", "P0003"]).update(
            card_issued_on=date(2025, 9, 1)
        )

    def numbers(self, selection: CardSelection) -> list[str]:
        return [p.card_number for p in card_print.select_patrons(selection)]

    def refusal(self, selection: CardSelection) -> str:
        with translation.override("en"), self.assertRaises(CardPrintError) as caught:
            card_print.select_patrons(selection)
        return caught.exception.message


class SelectPatronsTests(CardCase):
    def test_a_class_gives_its_active_students(self) -> None:
        self.assertEqual(self.numbers(CardSelection(school_class=self.class_5_2)), ["P0001"])

    def test_a_list_gives_those_cards_in_class_order(self) -> None:
        selection = CardSelection(card_numbers=card_print.split_cards("p0001, R000010\nP0002"))
        self.assertEqual(self.numbers(selection), ["R000010", "P0001", "P0002"])

    def test_new_cards_since_a_day(self) -> None:
        self.assertEqual(self.numbers(CardSelection(since=date(2026, 8, 1))), ["R000010"])

    def test_an_unknown_card_number_is_named(self) -> None:
        message = self.refusal(CardSelection(card_numbers=["P0001", "X123"]))
        self.assertEqual(message, "These card numbers are not known: X123.")

    def test_nothing_chosen_or_nobody_found_is_refused(self) -> None:
        self.assertEqual(
            self.refusal(CardSelection()), "Choose a class, list card numbers or give a day."
        )
        self.assertEqual(
            self.refusal(CardSelection(card_numbers=["R000011"])),
            "No active readers match: no cards to print.",
        )

    def test_a_class_is_found_the_ways_people_write_it(self) -> None:
        for text in ("5-2", "五年级(2)班", "5年级2班", str(self.class_5_2.pk)):
            with self.subTest(text):
                self.assertEqual(card_print.find_class(text), self.class_5_2)
        with translation.override("en"), self.assertRaisesMessage(CardPrintError, "no class 6-9"):
            card_print.find_class("6-9")


@override_settings(SHUXIANG_SCHOOL_NAME=SCHOOL)
class CardPdfTests(CardCase):
    sheet = PRESETS["cards-2x5"].sheet

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def picture(self, name: str, colour: tuple[int, int, int] = (200, 220, 240)) -> Path:
        path = self.folder / name
        Image.new("RGB", (120, 160), colour).save(path)
        return path

    def test_cards_carry_the_card_number_as_a_barcode_and_the_chinese_text(self) -> None:
        patrons = [self.ada_patron, self.tom_patron]
        with translation.override("zh-hans"):
            pdf = card_print.patrons_pdf(patrons, self.sheet)
        self.assertEqual(decode(pdf), [("Code 128", "P0001"), ("Code 128", "P0002")])
        text = page_text(pdf)
        for words in (SCHOOL, "借书证", "王艾达", "五年级(2)班", "学号 2022050201", "教师"):
            self.assertIn(words, text)

    def test_photos_and_the_logo_are_printed_when_they_exist(self) -> None:
        self.picture("P0001.png")
        logo = self.picture("logo.png", colour=(0, 100, 0))
        with self.settings(SHUXIANG_PHOTO_DIR=str(self.folder), SHUXIANG_SCHOOL_LOGO=str(logo)):
            self.assertEqual(card_print.photo_for("P0001"), self.folder / "P0001.png")
            self.assertIsNone(card_print.photo_for("P0002"))
            pdf = card_print.patrons_pdf([self.ada_patron, self.tom_patron], self.sheet)
        # One logo image and one photo, each stored once however often it is drawn.
        self.assertEqual(pdf.count(b"/Subtype /Image"), 2)
        self.assertEqual(len(decode(pdf)), 2)

    def test_a_missing_photo_folder_or_logo_is_passed_over(self) -> None:
        missing = str(self.folder / "nowhere")
        with self.settings(SHUXIANG_PHOTO_DIR=missing, SHUXIANG_SCHOOL_LOGO=missing + ".png"):
            pdf = card_print.patrons_pdf([self.ada_patron], self.sheet)
        self.assertNotIn(b"/Subtype /Image", pdf)
        self.assertEqual(decode(pdf), [("Code 128", "P0001")])

    def test_eleven_cards_take_two_sheets_and_a_start_position_moves_them(self) -> None:
        patrons = [self.ada_patron] * 11
        self.assertEqual(pages(card_print.patrons_pdf(patrons, self.sheet)), 2)
        self.assertEqual(pages(card_print.patrons_pdf(patrons[:2], self.sheet, start=10)), 2)
        with translation.override("en"), self.assertRaisesMessage(CardPrintError, "1 and 10"):
            card_print.patrons_pdf(patrons, self.sheet, start=11)


def form(**changes: Any) -> dict[str, Any]:
    return {"preset": "cards-2x5", "start": "1", **changes}


@override_settings(SHUXIANG_SCHOOL_NAME=SCHOOL)
class CardViewTests(CardCase):
    def test_the_librarian_prints_a_class(self) -> None:
        self.client.force_login(self.lena)
        self.assertContains(self.client.get(URL), "五年级(2)班")
        response = self.client.post(URL, form(school_class=self.class_5_2.pk))
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertEqual(decode(response.content), [("Code 128", "P0001")])
        entry = AuditLog.objects.get(action="cards.printed")
        self.assertEqual((entry.by, entry.target_id), (self.lena, str(self.class_5_2.pk)))
        self.assertEqual(entry.detail, {"patrons": [self.ada_patron.pk]})

    def test_nobody_to_print_is_said_in_chinese(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.post(URL, form(card_numbers="R000011"))
        self.assertContains(response, "没有符合条件的读者")
        response = self.client.post(URL, form(school_class=self.class_5_2.pk, start="11"))
        self.assertContains(response, "起始位置应在 1 到 10 之间")
        self.assertFalse(AuditLog.objects.filter(action="cards.printed").exists())

    def test_the_sheet_is_remembered(self) -> None:
        self.client.force_login(self.lena)
        custom = form(
            school_class=self.class_5_2.pk,
            preset="custom",
            page_width="210",
            page_height="297",
            rows="5",
            columns="2",
            label_width="85.6",
            label_height="54",
            top="10",
            left="15",
        )
        self.assertEqual(self.client.post(URL, custom)["Content-Type"], "application/pdf")
        self.assertContains(self.client.get(URL), '<option value="custom" selected>')

    def test_cards_are_the_librarians(self) -> None:
        for user in (self.hana, self.tom, self.ada):
            self.client.force_login(user)
            self.assertEqual(self.client.post(URL, form(card_numbers="P0001")).status_code, 403)


class ExportCardsTests(CardCase):
    def test_it_writes_a_class_s_cards(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "cards.pdf"
            out = StringIO()
            call_command("export_cards", "--class", "3-2", "--output", str(output), stdout=out)
            self.assertEqual(decode(output.read_bytes()), [("Code 128", "R000010")])
        self.assertIn("1 张借书证", out.getvalue())
        self.assertEqual(AuditLog.objects.get(action="cards.printed").via, "cli")

    def test_it_fails_with_a_reason_in_chinese(self) -> None:
        with self.assertRaisesMessage(CommandError, "没有 6-9 这个班级"):
            call_command("export_cards", "--class", "6-9", "--output", "/tmp/never.pdf")
