"""The school the circulation service tests start from: BaseTestCase's Lena, Ada (五年级(2)班),
Tom and Hana, the 西游记 copies T0001/T0002 (price 45.00 on the record), a dictionary, a
magazine, and the time frozen at noon on Monday 2026-11-23, inside the autumn term."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.catalog.models import Item, Location, Record
from shuxiang.circulation.models import CirculationEvent, CirculationPolicy, Fine, Hold, Loan
from shuxiang.circulation.services import Channel
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 23, 11, 45, tzinfo=SHANGHAI)  # Monday, the lending slot 11:30–12:30


def at(day: str, clock: str = "11:45") -> datetime:
    """at("2026-12-07") → that day at 11:45 in Shanghai."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


@time_machine.travel(NOON, tick=False)
class ServiceTestCase(BaseTestCase):
    desk: Channel
    dictionary: Record
    magazine: Record
    teachers_room: Location

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.desk = Channel(by=cls.lena, via="desk", station="借还台1")
        cls.teachers_room = Location.objects.get(code="TEACHERS")
        cls.dictionary = cls.record(
            "新华字典", ["D0001", "D0002", "D0003"], item_type=Item.ItemType.REFERENCE
        )
        cls.magazine = cls.record(
            "儿童文学", ["M0001", "M0002"], item_type=Item.ItemType.PERIODICAL
        )

    @classmethod
    def record(
        cls,
        title: str,
        codes: list[str],
        *,
        location: Location | None = None,
        item_type: str = Item.ItemType.GENERAL,
        price: Decimal | None = Decimal("20.00"),
    ) -> Record:
        record = Record.objects.create(title=title, price=price)
        for code in codes:
            Item.objects.create(
                record=record,
                barcode=code,
                accession_number=f"A-{code}",
                location=location or cls.stacks,
                item_type=item_type,
            )
        return record

    @classmethod
    def student(cls, card: str, *, grade: int = 5, number: int = 2, **fields: Any) -> Patron:
        school_class = SchoolClass.objects.filter(
            grade=grade, number=number, graduated_on=None
        ).first() or SchoolClass.objects.create(grade=grade, number=number)
        return Patron.objects.create(
            card_number=card, name=f"学生{card}", school_class=school_class, **fields
        )

    def item(self, barcode: str) -> Item:
        return Item.objects.get(barcode=barcode)

    def policy(self, **fields: Any) -> None:
        CirculationPolicy.objects.filter(pk=1).update(**fields)
        CirculationPolicy.objects.get(pk=1).save()  # drops the cached settings, as an edit does

    def events(self, since: int = 0) -> list[tuple[str, Any, str, str]]:
        """(action, by, via, station) of the events after the id `since`, oldest first."""
        rows = CirculationEvent.objects.filter(pk__gt=since).order_by("pk")
        return [(e.action, e.by, e.via, e.station) for e in rows]

    def last_event_id(self) -> int:
        return CirculationEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def state(self) -> tuple[object, ...]:
        """Everything circulation can change, to show that a refusal changed nothing."""
        return (
            list(Loan.objects.order_by("pk").values()),
            list(Hold.objects.order_by("pk").values()),
            list(Fine.objects.order_by("pk").values()),
            list(CirculationEvent.objects.order_by("pk").values_list("pk", "detail")),
            list(Item.objects.order_by("pk").values_list("pk", "status")),
        )

    @contextmanager
    def assertChangesNothing(self) -> Iterator[None]:
        before = self.state()
        yield
        self.assertEqual(self.state(), before)

    def refused(
        self, error: type[Exception], message: str, service: Callable[..., object], *args: Any
    ) -> Any:
        """Call service(*args), which must raise error with message and change nothing; the
        exception, for a look at its code."""
        with self.assertChangesNothing(), self.assertRaisesMessage(error, message) as caught:
            service(*args)
        return caught.exception
