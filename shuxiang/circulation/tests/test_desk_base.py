"""The desk's small world, shared by the test_desk_* files: noon on a Monday in term, a
student assistant (Sam) at the scanner, Ada and Bo of 五年级(2)班 in the queue."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import time_machine
from django.utils import translation
from django.utils.translation import gettext

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog
from shuxiang.catalog.models import Item
from shuxiang.patrons.models import Patron
from shuxiang.test import BaseTestCase

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday in term
HTMX = {"HX-Request": "true"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(message: str, **params: Any) -> str:
    """A message as the desk shows it (in Chinese), failing if it has no translation."""
    with translation.override("zh-hans"):
        text = gettext(message) % params if params else gettext(message)
    assert CJK.search(text), f"no Chinese translation for {message!r}"
    return text


@time_machine.travel(NOON, tick=False)
class DeskTestCase(BaseTestCase):
    sam: User
    bo: Patron
    t1: Item
    t2: Item
    t3: Item

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.sam = User.objects.create_user(
            "sam", password="sam-pass-1", role=User.Role.ASSISTANT, display_name="小图书管理员"
        )
        cls.bo = Patron.objects.create(
            card_number="P0004",
            name="李博",
            type=Patron.Type.STUDENT,
            student_number="2022050202",
            school_class=cls.class_5_2,
        )
        cls.t1, cls.t2 = cls.journey.items.order_by("barcode")
        dream = catalog.catalogue_record(
            catalog.RecordData.with_authors("红楼梦", ["曹雪芹"], class_number="I242.4"),
            [catalog.ItemData(barcode="T0003")],
            by=cls.lena,
        )
        cls.t3 = dream.items.get()

    def setUp(self) -> None:
        self.client.force_login(self.sam)

    def scan(self, code: str) -> Response:
        return self.client.post("/desk/scan/", {"code": code}, headers=HTMX)

    def press(self, action: str, data: dict[str, str] | None = None) -> Response:
        """close (Esc), undo (Ctrl+Z), renew (R), renew-all (F2), as htmx posts them."""
        return self.client.post(f"/desk/{action}/", data or {}, headers=HTMX)

    def banner(self, response: Response) -> str:
        """The feedback banner's HTML."""
        html = response.content.decode()
        match = re.search(r'<section class="sx-feedback[^"]*".*?</section>', html, re.S)
        assert match, "no feedback banner"
        return match.group(0)

    def assertBanner(self, response: Response, tone: str, *texts: str) -> None:
        self.assertEqual(response.status_code, 200)
        banner = self.banner(response)
        self.assertIn(f"sx-feedback-{tone}", banner)
        for text in texts:
            self.assertIn(text, banner)

    def assertRefused(self, response: Response, message: str, **params: Any) -> None:
        """Red, with the reason in Chinese."""
        self.assertBanner(response, "refuse", zh(message, **params))
