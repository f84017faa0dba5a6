"""The SIP2 codec: frames from the 3M SIP2 Developers Guide and from the traces other projects
publish, read and written byte for byte; pysip2 (a codec this project did not write) as the
checksum oracle for Chinese text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import SimpleTestCase
from pysip2 import codec as pysip2_codec

from shuxiang.sip2 import protocol
from shuxiang.sip2.protocol import ProtocolError

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The 3M guide's SC status example (page 26), with its checksum.
SC_STATUS = b"990 402.00AY1AZFCB4"
# The guide's login example. The guide prints EC78, a known misprint: every published
# implementation (and the arithmetic) gives EC7B.
LOGIN = b"9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZEC7B"
# A checkin in the guide's test data, with an empty return date and BI (cancel) N.
CHECKIN = (
    b"09N19980821    085721                  APCertification Terminal Location|"
    b"AOCertification Institute ID|ABCheckInBook|ACTPWord|BIN|AY2AZD6A5"
)
ITEM_INFORMATION = b"1719980723    100000AOCertification Institute ID|ABItemBook|AY1AZEBEB"
# A real kiosk's checkin, quoted in the comments of the PyPI sip2 client.
KIOSK_CHECKIN = (
    b"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZEB80"
)
# An SC status sent with a checksum but no sequence number.
SC_STATUS_AZ_ONLY = b"9900402.00AZFD6F"
# The guide's checkin response, fields in its order.
CHECKIN_RESPONSE_FIELDS = [
    ("AO", "Certification Institute ID"),
    ("AB", "CheckInBook"),
    ("AQ", "Permanent Location for CheckinBook, Language 1"),
]
RESEND = b"96AZFEF6\r"
# A Chinese checkout as a GBK kiosk and a UTF-8 kiosk send it (title in AJ is not usual in a
# request, but kiosks do put their location name in Chinese in AP/CP).
CHINESE_CHECKIN = "09N20261102    10000020261102    100000AP图书馆一楼自助机|AO|ABT0001|AC|AY3AZ"


class ParseTest(SimpleTestCase):
    def test_it_reads_the_guides_sc_status_with_its_fixed_part_and_trailer(self) -> None:
        msg = protocol.parse(SC_STATUS, "utf-8")
        self.assertEqual(msg.code, "99")
        self.assertEqual(msg.fixed, "0 402.00")
        self.assertEqual(msg.fields, ())
        self.assertEqual((msg.sequence, msg.checksum, msg.checksum_ok), ("1", "FCB4", True))

    def test_it_reads_the_login_fields_in_order(self) -> None:
        msg = protocol.parse(LOGIN, "utf-8")
        self.assertEqual(msg.fixed, "00")
        self.assertEqual(
            msg.fields,
            (("CN", "LoginUserID"), ("CO", "LoginPassword"), ("CP", "LocationCode")),
        )
        self.assertTrue(msg.checksum_ok)

    def test_it_reads_a_checkin_with_an_empty_return_date(self) -> None:
        msg = protocol.parse(CHECKIN, "utf-8")
        self.assertEqual(msg.fixed, "N19980821    085721" + " " * 18)
        self.assertEqual(msg.get("AB"), "CheckInBook")
        self.assertEqual(msg.get("AC"), "TPWord")
        self.assertEqual(msg.get("BI"), "N")
        self.assertEqual(msg.sequence, "2")
        self.assertTrue(msg.checksum_ok)

    def test_it_accepts_the_published_kiosk_trace_and_the_guides_item_information(self) -> None:
        for frame in (KIOSK_CHECKIN, ITEM_INFORMATION, SC_STATUS_AZ_ONLY):
            with self.subTest(frame=frame):
                self.assertTrue(protocol.parse(frame, "utf-8").checksum_ok)
        self.assertEqual(protocol.parse(KIOSK_CHECKIN, "utf-8").get("AB"), "830$28170815")
        self.assertIsNone(protocol.parse(SC_STATUS_AZ_ONLY, "utf-8").sequence)

    def test_it_flags_a_checksum_that_does_not_match(self) -> None:
        msg = protocol.parse(KIOSK_CHECKIN.replace(b"EB80", b"EB81"), "utf-8")
        self.assertIs(msg.checksum_ok, False)

    def test_it_reads_a_frame_without_trailer(self) -> None:
        msg = protocol.parse(b"2300119980723    094240AOCertification Institute ID|AAP0001|", "gbk")
        self.assertEqual((msg.sequence, msg.checksum, msg.checksum_ok), (None, None, None))
        self.assertEqual(msg.get("AA"), "P0001")

    def test_it_keeps_repeated_fields_in_order(self) -> None:
        msg = protocol.parse(b"35" + b"20261102    100000" + b"AOx|AAP1|AAP2|", "utf-8")
        self.assertEqual(msg.all("AA"), ["P1", "P2"])
        self.assertEqual(msg.get("AA"), "P1")

    def test_it_accepts_a_last_field_without_its_bar(self) -> None:
        msg = protocol.parse(b"3520261102    100000AOx|AAP1", "utf-8")
        self.assertEqual(msg.get("AA"), "P1")

    def test_it_reads_gbk_text_whose_trail_byte_is_a_bar(self) -> None:
        # 東 in GBK is 96 7C: its second byte is "|", which a byte split would cut in two.
        frame = "3520261102    100000AO|AAP1|AF東|".encode("gbk")
        self.assertIn(b"\x96|", frame)
        self.assertEqual(protocol.parse(frame, "gbk").get("AF"), "東")


class MalformedTest(SimpleTestCase):
    def assertRefused(self, frame: bytes, encoding: str = "utf-8") -> ProtocolError:
        with self.assertRaises(ProtocolError) as caught:
            protocol.parse(frame, encoding)
        self.assertTrue(caught.exception.reason)
        return caught.exception

    def test_it_refuses_an_unknown_code(self) -> None:
        self.assertEqual(self.assertRefused(b"4200").code, "42")
        self.assertEqual(self.assertRefused(b"xx").code, "")
        self.assertEqual(self.assertRefused(b"9").code, "")

    def test_it_refuses_a_short_fixed_part(self) -> None:
        self.assertEqual(self.assertRefused(b"1119980723").code, "11")
        self.assertRefused(b"990 40")

    def test_it_refuses_bad_field_syntax(self) -> None:
        self.assertRefused(b"3520261102    100000AOx||")
        self.assertRefused(b"3520261102    100000a1x|")
        self.assertRefused(b"3520261102    100000A")

    def test_it_refuses_bytes_invalid_in_the_encoding(self) -> None:
        gbk = "3520261102    100000AO|AA王|".encode("gbk")
        self.assertRefused(gbk, "utf-8")
        self.assertRefused(b"3520261102    100000AO|AA\xff\xff|", "gbk")

    def test_it_refuses_an_oversized_frame(self) -> None:
        self.assertRefused(b"35" + b"0" * 18 + b"AF" + b"x" * protocol.MAX_FRAME_BYTES + b"|")


class BuildTest(SimpleTestCase):
    def test_it_writes_the_guides_checkin_response_fields_with_a_checksum(self) -> None:
        frame = protocol.build(
            "10",
            ["1", "Y", "N", "N", "19980821    085721"],
            CHECKIN_RESPONSE_FIELDS,
            encoding="utf-8",
            sequence="2",
        )
        self.assertTrue(
            frame.startswith(b"101YNN19980821    085721AOCertification Institute ID|ABCheckInBook|")
        )
        self.assertTrue(frame.endswith(b"|AY2AZ" + frame[-5:-1] + b"\r"))
        self.assertTrue(pysip2_codec.verify_checksum(frame[:-1]))

    def test_it_leaves_out_none_fields_and_cleans_bars_from_values(self) -> None:
        frame = protocol.build(
            "36",
            ["Y", "20261102    100000"],
            [("AO", ""), ("AA", None), ("AF", "a|b\r")],
            encoding="utf-8",
            error_detection=False,
        )
        self.assertEqual(frame, b"36Y20261102    100000AO|AFa/b |\r")

    def test_it_sends_sequence_zero_when_the_request_had_none(self) -> None:
        frame = protocol.build("94", ["1"], [], encoding="utf-8")
        self.assertEqual(frame, b"941AY0AZ" + protocol.checksum(b"941AY0AZ").encode() + b"\r")

    def test_it_asks_for_a_resend_as_the_guide_shows(self) -> None:
        self.assertEqual(protocol.resend_request(), RESEND)
        self.assertEqual(protocol.resend_request(error_detection=False), b"96\r")

    def test_checksums_are_over_the_encoded_bytes_so_gbk_and_utf8_differ(self) -> None:
        gbk = CHINESE_CHECKIN.encode("gbk")
        utf8 = CHINESE_CHECKIN.encode("utf-8")
        self.assertNotEqual(protocol.checksum(gbk), protocol.checksum(utf8))
        # pysip2, written by others, agrees on both.
        self.assertEqual(protocol.checksum(gbk), pysip2_codec.calculate_checksum(gbk))
        self.assertEqual(protocol.checksum(utf8), pysip2_codec.calculate_checksum(utf8))
        for encoding in ("gbk", "utf-8"):
            data = CHINESE_CHECKIN.encode(encoding)
            frame = data + protocol.checksum(data).encode()
            msg = protocol.parse(frame, encoding)
            self.assertTrue(msg.checksum_ok)
            self.assertEqual(msg.get("AP"), "图书馆一楼自助机")

    def test_it_replaces_what_gbk_cannot_encode(self) -> None:
        frame = protocol.build("18", ["03"], [("AJ", "西游记 ❤")], encoding="gbk")
        self.assertIn("西游记 ?".encode("gbk"), frame)

    def test_the_checksum_is_always_four_hex_digits(self) -> None:
        self.assertEqual(protocol.checksum(b""), "0000")
        self.assertEqual(protocol.checksum(b"\xff" * 257), f"{-255 * 257 & 0xFFFF:04X}")

    def test_sip_dates_have_a_blank_zone(self) -> None:
        self.assertEqual(
            protocol.sip_date(datetime(2026, 11, 2, 9, 5, 7, tzinfo=SHANGHAI)), "20261102    090507"
        )
