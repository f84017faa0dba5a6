from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import override_settings

from shuxiang.accounts.models import AuditLog
from shuxiang.catalog.models import Item
from shuxiang.patrons import services
from shuxiang.patrons.errors import (
    CardRetired,
    DuplicateCardNumber,
    InvalidCardNumber,
    PatronError,
    PatronNotFound,
)
from shuxiang.patrons.models import Patron, RetiredCard
from shuxiang.test import BaseTestCase

MARCH_2 = datetime(2027, 3, 2, 12, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


class NextCardNumberTests(BaseTestCase):
    def test_it_counts_up_from_the_default_prefix_and_length(self) -> None:
        self.assertEqual(services.next_card_number(), "R000001")
        self.assertEqual(services.next_card_number(), "R000002")

    @override_settings(SHUXIANG_CARD_PREFIX="XS", SHUXIANG_CARD_DIGITS=4)
    def test_it_takes_prefix_and_length_from_the_settings(self) -> None:
        self.assertEqual(services.next_card_number(), "XS0001")
        self.assertEqual(services.next_card_number(), "XS0002")

    def test_it_skips_numbers_already_taken_by_a_patron_a_retired_card_or_a_book(self) -> None:
        Patron.objects.create(card_number="R000001", name="手写卡号")
        RetiredCard.objects.create(number="R000002", patron=self.ada_patron)
        Item.objects.create(
            record=self.journey, barcode="R000003", accession_number="X3", location=self.stacks
        )
        self.assertEqual(services.next_card_number(), "R000004")
        self.assertEqual(services.next_card_number(), "R000005")


class CheckCardNumberTests(BaseTestCase):
    def test_it_normalises_what_a_scanner_or_spreadsheet_sends(self) -> None:
        self.assertEqual(services.check_card_number(" ｒ００１２ "), "R0012")

    def test_it_refuses_malformed_numbers(self) -> None:
        for bad in ("", "R1", "读者001", "R 00/1", "-R001", "R" * 33):
            with self.assertRaisesMessage(InvalidCardNumber, "格式不对"):
                services.check_card_number(bad)

    def test_it_refuses_a_number_in_use(self) -> None:
        with self.assertRaisesMessage(DuplicateCardNumber, "借书证号 P0001 已被使用"):
            services.check_card_number("p0001")
        RetiredCard.objects.create(number="P0009", patron=self.ada_patron)
        with self.assertRaisesMessage(DuplicateCardNumber, "已被使用"):
            services.check_card_number("P0009")

    def test_it_lets_a_patron_keep_their_own_number(self) -> None:
        self.assertEqual(services.check_card_number("P0001", patron=self.ada_patron), "P0001")

    def test_it_refuses_a_book_barcode(self) -> None:
        # At the desk one box takes cards and books: a number must not mean both.
        with self.assertRaisesMessage(DuplicateCardNumber, "已经是一本书的条码号"):
            services.check_card_number("t0001")


class FindPatronByCardTests(BaseTestCase):
    def test_it_finds_the_patron_whatever_the_scanner_sends(self) -> None:
        self.assertEqual(services.find_patron_by_card(" ｐ0001"), self.ada_patron)

    def test_it_says_when_no_one_has_the_card(self) -> None:
        with self.assertRaisesMessage(PatronNotFound, "没有借书证号为 P9999 的读者"):
            services.find_patron_by_card("P9999")


@time_machine.travel(MARCH_2, tick=False)
class ReportCardLostTests(BaseTestCase):
    def test_it_blocks_the_card_at_once(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        patron = services.find_patron_by_card("P0001")
        self.assertEqual(patron, self.ada_patron)
        self.assertEqual(patron.status, Patron.Status.CARD_LOST)
        self.assertFalse(patron.is_active)

    def test_it_writes_an_audit_row(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena, via="api")
        entry = AuditLog.objects.get(action="patron.card_lost")
        self.assertEqual((entry.by, entry.via), (self.lena, "api"))
        self.assertEqual((entry.target_type, entry.target_id), ("patron", str(self.ada_patron.pk)))

    def test_it_refuses_a_card_already_blocked(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        with self.assertRaisesMessage(PatronError, "只有正常状态读者的借书证才能挂失"):
            services.report_card_lost(self.ada_patron, by=self.lena)
        self.assertEqual(AuditLog.objects.filter(action="patron.card_lost").count(), 1)


@time_machine.travel(MARCH_2, tick=False)
class ReissueCardTests(BaseTestCase):
    def test_it_gives_a_new_number_and_refuses_the_old_one(self) -> None:
        services.report_card_lost(self.ada_patron, by=self.lena)
        patron = services.reissue_card(self.ada_patron, by=self.lena)
        self.assertEqual(patron.card_number, "R000001")
        self.assertEqual(patron.status, Patron.Status.ACTIVE)
        self.assertEqual(patron.card_issued_on, MARCH_2.date())
        self.assertEqual(services.find_patron_by_card("R000001"), self.ada_patron)
        with self.assertRaisesMessage(CardRetired, "借书证 P0001 已挂失并补办新证，不能再使用。"):
            services.find_patron_by_card("p0001")

    def test_it_takes_a_chosen_number(self) -> None:
        patron = services.reissue_card(self.ada_patron, by=self.lena, new_number=" ｘｓ-９９ ")
        self.assertEqual(patron.card_number, "XS-99")
        self.assertTrue(RetiredCard.objects.filter(number="P0001", patron=patron).exists())

    def test_it_writes_an_audit_row_with_both_numbers(self) -> None:
        services.reissue_card(self.ada_patron, by=self.lena, new_number="XS-1")
        entry = AuditLog.objects.get(action="patron.card_reissued")
        self.assertEqual(entry.by, self.lena)
        self.assertEqual(entry.detail, {"old": "P0001", "new": "XS-1"})

    def test_it_refuses_bad_chosen_numbers_and_changes_nothing(self) -> None:
        cases = [
            ("读者", InvalidCardNumber),
            ("P0002", DuplicateCardNumber),  # Tom's card
            ("T0001", DuplicateCardNumber),  # a copy of 西游记
            ("P0001", DuplicateCardNumber),  # the very card being replaced
        ]
        for number, error in cases:
            with self.assertRaises(error):
                services.reissue_card(self.ada_patron, by=self.lena, new_number=number)
        self.ada_patron.refresh_from_db()
        self.assertEqual(self.ada_patron.card_number, "P0001")
        self.assertFalse(RetiredCard.objects.exists())
        self.assertFalse(AuditLog.objects.filter(action="patron.card_reissued").exists())

    def test_it_explains_why_the_same_number_is_refused(self) -> None:
        with self.assertRaisesMessage(DuplicateCardNumber, "P0001 是要更换的旧证"):
            services.reissue_card(self.ada_patron, by=self.lena, new_number="p0001")

    def test_it_refuses_a_retired_number(self) -> None:
        services.reissue_card(self.ada_patron, by=self.lena, new_number="XS-1")
        with self.assertRaisesMessage(DuplicateCardNumber, "P0001 已被使用"):
            services.reissue_card(self.ada_patron, by=self.lena, new_number="P0001")

    def test_it_refuses_a_patron_who_is_no_longer_at_school(self) -> None:
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.GRADUATED)
        with self.assertRaisesMessage(PatronError, "只能为在校读者补办借书证"):
            services.reissue_card(self.ada_patron, by=self.lena)
        self.assertFalse(RetiredCard.objects.exists())
