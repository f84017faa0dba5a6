"""The small world shared by the test_corner_*, test_hold_* and test_room_* files: a Monday
noon in the autumn term, 五年级(2)班 (Ada, Bo; Hana its homeroom teacher) and 三年级(1)班,
a box of books for the class corners, a dictionary for the reading room."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.utils import translation
from django.utils.translation import gettext

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog
from shuxiang.catalog.models import Item, Location, Record
from shuxiang.circulation import services
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday in term
HTMX = {"HX-Request": "true"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(message: str, **params: Any) -> str:
    """A message as the pages show it (in Chinese), failing if it has no translation."""
    with translation.override("zh-hans"):
        text = gettext(message) % params if params else gettext(message)
    assert CJK.search(text), f"no Chinese translation for {message!r}"
    return text


@time_machine.travel(NOON, tick=False)
class CornerWorld(BaseTestCase):
    sam: User
    bo: Patron
    class_3_1: SchoolClass
    grass: Record
    dictionary: Record

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
        cls.class_3_1 = SchoolClass.objects.create(grade=3, number=1, enrolment_year=2024)
        cls.grass = catalog.catalogue_record(
            catalog.RecordData.with_authors("草房子", ["曹文轩"], class_number="I287.45"),
            [catalog.ItemData(barcode=f"C000{n}") for n in range(1, 5)],
            by=cls.lena,
        )
        cls.dictionary = catalog.catalogue_record(
            catalog.RecordData.with_authors("新华字典", ["中国社会科学院语言研究所"]),
            [
                catalog.ItemData(
                    barcode="R0001",
                    location=Location.objects.get(code="REFERENCE"),
                    item_type=Item.ItemType.REFERENCE,
                )
            ],
            by=cls.lena,
        )

    def desk(self) -> services.Channel:
        return services.Channel(by=self.lena, via="desk")

    def status(self, barcode: str) -> str:
        return Item.objects.get(barcode=barcode).status
