"""Session.respond end to end through the ORM: a kiosk's raw messages in, raw replies out, and
the same circulation rules, refusals and events as the desk.

The requests are written from the 3M SIP2 guide's layouts as kiosks send them: a login, then an
SC status, then the patron's card, then books. "AY1AZ" at the end of a constant is signed with
its checksum when sent (the checksum depends on the encoding).
"""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from unittest import mock

from django.test import override_settings
from pysip2 import codec as pysip2_codec

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import services
from shuxiang.circulation.errors import AlreadyOnLoan, LimitReached
from shuxiang.circulation.models import CirculationEvent, Fine, Hold, Loan
from shuxiang.circulation.tests.service_case import ServiceTestCase
from shuxiang.patrons.models import Patron
from shuxiang.sip2 import protocol
from shuxiang.sip2.handlers import BX, Session
from shuxiang.sip2.models import Kiosk

NOW = "20261123    114500"
LOGIN = "9300CNkiosk1|COkiosk-pass-1|CP一楼大厅|AY0AZ"
LOGIN_WRONG = "9300CNkiosk1|COwrong|CP|AY0AZ"
LOGIN_LENA = "9300CNlena|COlena-pass-1|CP|AY0AZ"
SC_STATUS = "9900802.00AY1AZ"
PATRON_STATUS = f"23019{NOW}AO|AAP0001|AC|AD|AY2AZ"
PATRON_STATUS_UNKNOWN = f"23019{NOW}AO|AAP9999|AC|AD|AY2AZ"
PATRON_INFORMATION_CHARGED = f"63019{NOW}  Y       AO|AAP0001|AC|AD|BP1|BQ5|AY3AZ"
PATRON_INFORMATION_FINES = f"63019{NOW}   Y      AO|AAP0001|AC|AD|AY3AZ"
ITEM_INFORMATION = f"17{NOW}AO|ABT0001|AC|AY4AZ"
CHECKOUT = f"11YN{NOW}{' ' * 18}AO|AAP0001|ABT0001|AC|AD|BON|BIN|AY5AZ"
CHECKOUT_TOM = f"11YN{NOW}{' ' * 18}AO|AAP0002|ABT0001|AC|AY5AZ"
CHECKOUT_CANCEL = f"11YN{NOW}{' ' * 18}AO|AAP0001|ABT0001|AC|BIY|AY6AZ"
CHECKOUT_SX = f"11YN{NOW}{' ' * 18}AOSX|AAP0001|ABT0001|AC|AY5AZ"
CHECKOUT_OTHER_LIBRARY = f"11YN{NOW}{' ' * 18}AOOTHER|AAP0001|ABT0001|AC|AY5AZ"
CHECKIN = f"09N{NOW}{NOW}AP一楼大厅|AO|ABT0001|AC|AY6AZ"
CHECKIN_UNKNOWN = f"09N{NOW}{NOW}AP|AO|ABNOPE1|AC|AY6AZ"
RENEW = f"29NN{NOW}{' ' * 18}AO|AAP0001|ABT0001|AC|AY7AZ"
RENEW_TOM = f"29NN{NOW}{' ' * 18}AO|AAP0002|ABT0001|AC|AY7AZ"
RENEW_ALL = f"65{NOW}AO|AAP0001|AC|AY8AZ"
HOLD_PLACE = f"15+{NOW}AO|AAP0002|ABT0001|AC|AY9AZ"
HOLD_CANCEL = f"15-{NOW}AO|AAP0002|ABT0001|AC|AY0AZ"
FEE_PAID = f"37{NOW}0100CNYBV30.00|AO|AAP0001|AC|BKWX-0001|AY1AZ"
FEE_PAID_TOO_MUCH = f"37{NOW}0100CNYBV99.00|AO|AAP0001|AC|AY1AZ"
END_SESSION = f"35{NOW}AO|AAP0001|AC|AD|AY2AZ"
BLOCK_PATRON = f"01N{NOW}AO|ALcard left in the kiosk|AAP0001|AC|AY3AZ"
RESEND = "97"
ITEM_STATUS_UPDATE = f"19{NOW}AO|ABT0001|AC|CHx|AY4AZ"


def sign(text: str, encoding: str = "utf-8") -> bytes:
    data = text.encode(encoding)
    return data + protocol.checksum(data).encode() if data.endswith(b"AZ") else data


class KioskTestCase(ServiceTestCase):
    kiosk: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.kiosk = User.objects.create_user(
            "kiosk1", password="kiosk-pass-1", role=User.Role.KIOSK
        )

    def setUp(self) -> None:
        self.session = Session(encoding="utf-8", peer="10.0.0.8:40001")

    def send(self, text: str, encoding: str = "utf-8") -> str:
        reply, close = self.session.respond(sign(text, encoding))
        self.assertFalse(close, reply)
        assert reply is not None
        self.assertTrue(reply.endswith(b"\r"))
        self.assertTrue(pysip2_codec.verify_checksum(reply[:-1]), reply)
        return reply[:-1].decode(encoding)

    def login(self) -> None:
        self.assertEqual(self.send(LOGIN)[:3], "941")

    def fields(self, reply: str, start: int) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        body = reply[start : reply.rindex("AY")]
        for part in body.split("|")[:-1]:
            found.setdefault(part[:2], []).append(part[2:])
        return found


class LoginTest(KioskTestCase):
    def test_it_answers_nothing_before_a_login_and_closes(self) -> None:
        for text in (SC_STATUS, CHECKOUT, RESEND):
            with self.subTest(text=text):
                self.assertEqual(Session(encoding="utf-8").respond(sign(text)), (None, True))
        self.assertFalse(Loan.objects.exists())

    def test_it_logs_a_kiosk_in_once_per_connection(self) -> None:
        self.assertEqual(self.send(LOGIN), "941AY0AZ" + protocol.checksum(b"941AY0AZ"))
        self.assertEqual(self.send(LOGIN)[:3], "940")
        self.assertEqual(self.send(SC_STATUS)[:2], "98")

    def test_it_refuses_a_wrong_password_and_closes_after_three(self) -> None:
        self.assertEqual(self.send(LOGIN_WRONG)[:3], "940")
        self.assertEqual(self.send(LOGIN_WRONG)[:3], "940")
        reply, close = self.session.respond(sign(LOGIN_WRONG))
        self.assertEqual((reply or b"")[:3], b"940")
        self.assertTrue(close)

    @override_settings(SHUXIANG_LOGIN_MAX_FAILURES=2)
    def test_guesses_lock_the_kiosk_name_as_on_the_web(self) -> None:
        self.assertEqual(self.send(LOGIN_WRONG)[:3], "940")
        reply, close = self.session.respond(sign(LOGIN_WRONG))
        self.assertEqual(((reply or b"")[:3], close), (b"940", True))  # locked: closed at once
        reply, close = Session(encoding="utf-8", peer="10.0.0.9:5000").respond(sign(LOGIN))
        self.assertEqual(((reply or b"")[:3], close), (b"940", True))
        self.assertTrue(AuditLog.objects.filter(action="login_locked").exists())

    def test_a_login_with_a_bad_checksum_is_asked_for_again(self) -> None:
        bad = sign(LOGIN)[:-4] + b"0000"
        self.assertEqual(self.session.respond(bad), (b"96AZFEF6\r", False))
        self.assertIsNone(self.session.user)
        self.login()

    def test_a_kiosk_without_error_detection_logs_in_whatever_its_checksum(self) -> None:
        Kiosk.objects.create(user=self.kiosk, error_detection=False)
        self.assertEqual(self.session.respond(sign(LOGIN)[:-4] + b"0000"), (b"941\r", False))

    def test_it_refuses_a_librarian_and_an_inactive_kiosk(self) -> None:
        self.assertEqual(self.send(LOGIN_LENA)[:3], "940")
        self.kiosk.is_active = False
        self.kiosk.save()
        self.assertEqual(self.send(LOGIN)[:3], "940")
        reply, close = self.session.respond(sign(SC_STATUS))
        self.assertEqual((reply, close), (None, True))


class StatusTest(KioskTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login()

    @override_settings(SHUXIANG_SCHOOL_NAME="实验小学图书馆")
    def test_it_answers_sc_status_with_the_supported_messages(self) -> None:
        Kiosk.objects.create(user=self.kiosk, location="一楼大厅")
        self.session = Session(encoding="utf-8")
        self.login()
        reply = self.send(SC_STATUS)
        self.assertEqual(reply[:32], f"98YYYYNN030003{NOW}")
        self.assertEqual(reply[32:36], "2.00")
        self.assertEqual(
            self.fields(reply, 36),
            {"AO": [""], "AM": ["实验小学图书馆"], "BX": [BX], "AN": ["一楼大厅"]},
        )
        # patron status, checkout, checkin, block, status, resend, login, patron information,
        # end session, fee paid, item information; no item status update, no patron enable;
        # hold, renew, renew all.
        self.assertEqual(BX, "YYYYYYYYYYYNNYYY")

    def test_it_answers_patron_status_for_a_card(self) -> None:
        reply = self.send(PATRON_STATUS)
        self.assertEqual(reply[:37], f"24{' ' * 14}019{NOW}")
        fields = self.fields(reply, 37)
        self.assertEqual(fields["AA"], ["P0001"])
        self.assertEqual(fields["AE"], ["王艾达"])
        self.assertEqual((fields["BL"], fields["CQ"], fields["BH"]), (["Y"], ["Y"], ["CNY"]))
        self.assertNotIn("AF", fields)

    def test_it_says_an_unknown_card_is_not_a_valid_patron(self) -> None:
        reply = self.send(PATRON_STATUS_UNKNOWN)
        self.assertEqual(reply[:16], "24" + "Y" * 14)
        fields = self.fields(reply, 37)
        self.assertEqual(fields["BL"], ["N"])
        self.assertEqual(fields["AF"], ["没有借书证号为 P9999 的读者。"])

    def test_a_blocked_patron_has_their_privileges_denied_with_the_reason(self) -> None:
        Patron.objects.filter(pk=self.ada_patron.pk).update(status=Patron.Status.SUSPENDED)
        reply = self.send(PATRON_STATUS)
        self.assertEqual(reply[2:16], "YY Y          ")
        reason = services.patron_blocks(
            Patron.objects.get(pk=self.ada_patron.pk), today=date(2026, 11, 23)
        )
        self.assertEqual(self.fields(reply, 37)["AF"], [reason[0][1]])

    def test_a_patron_at_the_loan_limit_has_too_many_items_charged(self) -> None:
        limit = int(self.fields(self.send(PATRON_INFORMATION_CHARGED), 61)["CB"][0])
        for n in range(limit):
            code = f"B{n:04d}"
            Item.objects.create(
                record=self.journey,
                barcode=code,
                accession_number=f"A-{code}",
                location=self.stacks,
            )
            services.check_out("P0001", code, self.desk)
        reply = self.send(PATRON_STATUS)
        self.assertEqual(reply[2:16], "     Y        ")
        with self.assertRaises(LimitReached):
            services.check_out("P0001", "T0001", self.desk)

    def test_it_lists_the_charged_items_the_summary_asks_for(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "M0001", self.desk)
        reply = self.send(PATRON_INFORMATION_CHARGED)
        # Two books is the limit of a fifth-grader: "too many items charged".
        self.assertEqual(reply[2:61], f"     Y        019{NOW}0000000000020000" + "0000" * 2)
        fields = self.fields(reply, 61)
        self.assertEqual(sorted(fields["AU"]), ["M0001", "T0001"])
        self.assertNotIn("AT", fields)
        self.assertEqual(fields["AE"], ["王艾达"])

    def test_it_answers_item_information_with_title_and_due_date(self) -> None:
        loan = services.check_out("P0001", "T0001", self.desk).loan
        reply = self.send(ITEM_INFORMATION)
        self.assertEqual(reply[:26], f"18040001{NOW}")
        fields = self.fields(reply, 26)
        self.assertEqual(fields["AJ"], ["西游记"])
        self.assertEqual(fields["AH"], [loan.due_on.strftime("%Y%m%d    235959")])
        self.assertEqual(fields["AB"], ["T0001"])

    def test_a_missing_card_is_asked_for(self) -> None:
        reply = self.send(PATRON_STATUS.replace("AAP0001", "AA"))
        self.assertEqual(self.fields(reply, 37)["AF"], ["请先扫描借书证。"])

    def test_end_session_is_acknowledged(self) -> None:
        self.assertEqual(self.send(END_SESSION)[:21], f"36Y{NOW}")


class CirculationTest(KioskTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_a_checkout_lends_the_book_through_the_desks_service(self) -> None:
        since = self.last_event_id()
        reply = self.send(CHECKOUT)
        self.assertEqual(reply[:24], f"121NNY{NOW}")
        loan = Loan.objects.get(item__barcode="T0001", returned_at=None)
        fields = self.fields(reply, 24)
        self.assertEqual(fields["AJ"], ["西游记"])
        self.assertEqual(fields["AH"], [loan.due_on.strftime("%Y%m%d    235959")])
        self.assertEqual(fields["AG"], [f"西游记 — 应还日期：{loan.due_on.isoformat()}"])
        self.assertEqual(loan.via, "sip2")
        self.assertEqual(self.events(since), [("checkout", self.kiosk, "sip2", "kiosk1")])

    def test_a_refused_checkout_shows_the_desks_reason(self) -> None:
        services.check_out("P0002", "T0001", self.desk)
        with self.assertRaises(AlreadyOnLoan) as desk:
            services.check_out("P0001", "T0001", self.desk)
        with self.assertChangesNothing():
            reply = self.send(CHECKOUT)
        self.assertEqual(reply[:24], f"120NUN{NOW}")
        self.assertEqual(self.fields(reply, 24)["AF"], [desk.exception.message])
        self.assertEqual(self.fields(reply, 24)["AJ"], ["西游记"])

    def test_a_limit_refusal_is_the_desks_limit_refusal(self) -> None:
        self.policy(overdue_block_days=None)
        for code in ("M0001", "M0002", "D0001"):
            with contextlib.suppress(LimitReached):
                services.check_out("P0001", code, self.desk)
        with self.assertRaises(LimitReached) as desk:
            for code in ("T0002", "T0001"):
                services.check_out("P0001", code, self.desk)
        reply = self.send(CHECKOUT)
        self.assertEqual(self.fields(reply, 24)["AF"], [desk.exception.message])

    def test_checking_out_a_book_the_patron_has_renews_it(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        since = self.last_event_id()
        reply = self.send(CHECKOUT)
        self.assertEqual(reply[:6], "121YNY")
        self.assertEqual(self.events(since), [("renew", self.kiosk, "sip2", "kiosk1")])

    def test_a_cancelled_checkout_is_undone(self) -> None:
        self.send(CHECKOUT)
        reply = self.send(CHECKOUT_CANCEL)
        self.assertEqual(reply[:6], "121NNN")
        self.assertFalse(Loan.objects.exists())
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)

    def test_a_checkin_returns_the_book_and_names_the_patron(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        since = self.last_event_id()
        reply = self.send(CHECKIN)
        self.assertEqual(reply[:24], f"101YNN{NOW}")
        fields = self.fields(reply, 24)
        self.assertEqual(
            (fields["AB"], fields["AA"], fields["AJ"]), (["T0001"], ["P0001"], ["西游记"])
        )
        self.assertEqual(self.events(since), [("checkin", self.kiosk, "sip2", "kiosk1")])
        self.assertEqual(self.item("T0001").status, Item.Status.ON_SHELF)

    def test_a_checkin_of_a_held_book_raises_the_alert(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)
        services.place_hold("P0002", self.journey, self.desk)
        reply = self.send(CHECKIN)
        self.assertEqual(reply[:6], "101YNY")
        fields = self.fields(reply, 24)
        self.assertEqual(fields["CV"], ["01"])
        self.assertIn("预约架", fields["AF"][0])

    def test_a_checkin_of_an_unknown_barcode_is_refused_in_chinese(self) -> None:
        reply = self.send(CHECKIN_UNKNOWN)
        self.assertEqual(reply[:6], "100NNN")
        self.assertEqual(self.fields(reply, 24)["AF"], ["没有条码号为 NOPE1 的书。"])

    def test_a_renewal_goes_through_the_desks_rules(self) -> None:
        loan = services.check_out("P0001", "T0001", self.desk).loan
        reply = self.send(RENEW)
        self.assertEqual(reply[:6], "301YNY")
        loan.refresh_from_db()
        self.assertEqual(loan.renewals, 1)
        self.assertEqual(self.fields(reply, 24)["AH"], [loan.due_on.strftime("%Y%m%d    235959")])
        # The rule allows one renewal: the second is refused with the desk's words.
        reply = self.send(RENEW)
        self.assertEqual(reply[:6], "300NUN")
        self.assertIn("不能再续借", self.fields(reply, 24)["AF"][0])

    def test_a_patron_cannot_renew_another_patrons_book(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        with self.assertChangesNothing():
            reply = self.send(RENEW_TOM)
        self.assertEqual(reply[:3], "300")
        self.assertEqual(self.fields(reply, 24)["AF"], ["这本书不是这张借书证借的。"])

    def test_renew_all_renews_what_it_can(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)
        services.place_hold("P0002", self.journey, self.desk)
        reply = self.send(RENEW_ALL)
        self.assertEqual(reply[:11], "6610000" + "0002")
        fields = self.fields(reply, 29)
        self.assertEqual(fields["BN"], ["T0001", "T0002"])
        self.assertIn("有其他读者在预约这本书", fields["AF"][0])

    def test_a_hold_is_placed_and_cancelled(self) -> None:
        services.check_out("P0001", "T0001", self.desk)
        services.check_out("P0001", "T0002", self.desk)
        reply = self.send(HOLD_PLACE)
        self.assertEqual(reply[:22], f"161N{NOW}")
        self.assertEqual(self.fields(reply, 22)["BR"], ["1"])
        self.assertTrue(Hold.objects.active().filter(patron=self.tom_patron).exists())
        self.assertEqual(self.send(HOLD_CANCEL)[:3], "161")
        self.assertFalse(Hold.objects.active().exists())
        reply = self.send(HOLD_CANCEL)
        self.assertEqual(reply[:3], "160")
        self.assertEqual(self.fields(reply, 22)["AF"], ["这张借书证没有预约这本书。"])

    def test_a_blocked_card_is_reported_lost(self) -> None:
        reply = self.send(BLOCK_PATRON)
        self.assertEqual(reply[:2], "24")
        self.assertEqual(reply[2:7], "YY YY")
        self.assertEqual(Patron.objects.get(pk=self.ada_patron.pk).status, Patron.Status.CARD_LOST)


class FeeTest(KioskTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login()
        self.fine = services.record_compensation(
            self.ada_patron,
            self.item("T0001"),
            self.desk,
            reason=Fine.Reason.LOST,
            amount=Decimal("45.00"),
        )

    def test_patron_information_lists_the_compensation_owed(self) -> None:
        reply = self.send(PATRON_INFORMATION_FINES)
        fields = self.fields(reply, 61)
        self.assertEqual(fields["BV"], ["45.00"])
        self.assertEqual(fields["AV"], [f"{self.fine.pk} 45.00 遗失 T0001"])
        self.assertEqual(reply[49:53], "0001")  # fine items count

    def test_a_payment_is_recorded_as_at_the_desk(self) -> None:
        since = self.last_event_id()
        reply = self.send(FEE_PAID)
        self.assertEqual(reply[:21], f"38Y{NOW}")
        fields = self.fields(reply, 21)
        self.assertEqual(fields["BK"], ["WX-0001"])
        self.assertEqual(fields["AF"], ["已收 30.00 元，尚欠 15.00 元。"])
        self.fine.refresh_from_db()
        self.assertEqual(self.fine.paid, Decimal("30.00"))
        self.assertEqual(self.events(since), [("paid", self.kiosk, "sip2", "kiosk1")])

    def test_a_payment_over_what_is_owed_is_refused(self) -> None:
        with self.assertChangesNothing():
            reply = self.send(FEE_PAID_TOO_MUCH)
        self.assertEqual(reply[:3], "38N")
        self.assertEqual(self.fields(reply, 21)["AF"], ["付款金额超过所欠赔偿（45.00 元）。"])


class FrameTest(KioskTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login()

    def test_a_checksum_that_does_not_match_asks_for_a_resend(self) -> None:
        frame = sign(CHECKOUT)
        bad = frame[:-4] + (b"0000" if frame[-4:] != b"0000" else b"0001")
        self.assertEqual(self.session.respond(bad), (b"96AZFEF6\r", False))
        self.assertFalse(Loan.objects.exists())

    def test_a_bad_checksum_is_ignored_when_error_detection_is_off(self) -> None:
        Kiosk.objects.create(user=self.kiosk, error_detection=False)
        self.session = Session(encoding="utf-8")
        self.assertEqual(self.session.respond(sign(LOGIN)), (b"941\r", False))
        frame = sign(CHECKOUT)
        reply, _ = self.session.respond(frame[:-4] + b"0000")
        self.assertEqual((reply or b"")[:3], b"121")
        self.assertNotIn(b"AZ", reply or b"")

    def test_a_resend_request_repeats_the_last_reply_byte_for_byte(self) -> None:
        reply = self.session.respond(sign(CHECKOUT))[0]
        self.assertEqual(self.session.respond(b"97"), (reply, False))
        self.assertEqual(self.session.respond(b"97AZFEF5"), (reply, False))
        self.assertEqual(Loan.objects.count(), 1)

    def test_the_sequence_number_is_echoed(self) -> None:
        reply = self.send(CHECKOUT.replace("AY5AZ", "AY8AZ"))
        self.assertIn("AY8AZ", reply)

    def test_garbled_frames_get_96_then_the_connection_closes(self) -> None:
        garbled = sign(f"11YN{NOW}AO|AAP0001|")  # fixed part cut short
        self.assertEqual(self.session.respond(garbled), (b"96AZFEF6\r", False))
        self.assertEqual(self.session.respond(garbled), (b"96AZFEF6\r", False))
        self.assertEqual(self.session.respond(garbled), (None, True))

    def test_a_blank_line_is_ignored(self) -> None:
        self.assertEqual(self.session.respond(b""), (None, False))
        self.assertEqual(self.session.respond(b"\n"), (None, False))
        self.assertEqual(self.send(SC_STATUS)[:2], "98")

    def test_an_unsupported_message_closes_the_connection(self) -> None:
        self.assertEqual(self.session.respond(sign(ITEM_STATUS_UPDATE)), (None, True))

    def test_an_unexpected_error_closes_the_connection_without_raising(self) -> None:
        boom = mock.patch.object(services, "check_out", side_effect=RuntimeError("boom"))
        with boom, self.assertLogs("shuxiang.sip2", "ERROR"):
            self.assertEqual(self.session.respond(sign(CHECKOUT)), (None, True))

    @override_settings(SHUXIANG_SIP2_INSTITUTION="SX")
    def test_another_institution_id_is_refused(self) -> None:
        with self.assertChangesNothing():
            reply = self.send(CHECKOUT_OTHER_LIBRARY)
        self.assertEqual(reply[:3], "120")
        self.assertEqual(
            self.fields(reply, 24)["AF"], ["这台自助机设置的是别的图书馆（机构代码 OTHER）。"]
        )
        self.assertEqual(self.send(CHECKOUT_SX)[:3], "121")


class GbkKioskTest(KioskTestCase):
    def test_a_gbk_kiosk_gets_chinese_in_gbk_with_checksums_over_the_gbk_bytes(self) -> None:
        Kiosk.objects.create(user=self.kiosk, encoding=Kiosk.Encoding.GBK, location="一楼大厅")
        self.login()  # the login itself is ASCII
        self.assertEqual(self.session.encoding, "gbk")
        raw = self.session.respond(sign(CHECKOUT, "gbk"))[0]
        assert raw is not None
        self.assertIn("西游记".encode("gbk"), raw)
        self.assertTrue(pysip2_codec.verify_checksum(raw[:-1]))
        # pysip2 decodes it as GBK and finds the same title.
        decoded = pysip2_codec.decode_message(raw, encoding="gbk")
        self.assertEqual(decoded.message.title_identifier, "西游记")  # type: ignore[attr-defined]

    def test_a_gbk_kiosk_logs_in_with_a_chinese_location_on_a_utf8_server(self) -> None:
        Kiosk.objects.create(user=self.kiosk, encoding=Kiosk.Encoding.GBK)
        frame = sign(LOGIN, "gbk")
        self.assertIn("一楼大厅".encode("gbk"), frame)
        self.assertEqual(self.session.respond(frame)[0], sign("941AY0AZ") + b"\r")
        self.assertEqual(self.session.encoding, "gbk")

    def test_a_gbk_kiosk_sends_a_chinese_location_checked_over_gbk_bytes(self) -> None:
        Kiosk.objects.create(user=self.kiosk, encoding=Kiosk.Encoding.GBK)
        self.login()
        services.check_out("P0001", "T0001", self.desk)
        frame = sign(CHECKIN, "gbk")
        self.assertNotEqual(frame[-4:], sign(CHECKIN, "utf-8")[-4:])
        reply = self.session.respond(frame)[0]
        assert reply is not None
        self.assertEqual(reply[:3], b"101")
        self.assertFalse(Loan.objects.open().exists())

    def test_a_refusal_reaches_a_gbk_kiosk_in_gbk(self) -> None:
        Kiosk.objects.create(user=self.kiosk, encoding=Kiosk.Encoding.GBK)
        self.login()
        reply = self.send(CHECKIN_UNKNOWN, "gbk")
        self.assertEqual(self.fields(reply, 24)["AF"], ["没有条码号为 NOPE1 的书。"])
        self.assertFalse(CirculationEvent.objects.filter(via="sip2").exists())
