"""The small named school every test starts from (healthchecks' alice/bob, our Lena/Ada/Tom)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.test import TestCase

from shuxiang.accounts.models import ApiToken, User
from shuxiang.catalog import services
from shuxiang.catalog.models import Location, Record
from shuxiang.circulation import defaults as circulation_defaults
from shuxiang.patrons.models import Patron, SchoolClass


class BaseTestCase(TestCase):
    lena: User
    ada: User
    tom: User
    stacks: Location
    reading_room: Location
    journey: Record
    hana: User
    class_5_2: SchoolClass
    ada_patron: Patron
    tom_patron: Patron
    hana_patron: Patron

    @classmethod
    def setUpTestData(cls) -> None:
        services.ensure_default_locations()
        # The primary-school loan rules, Monday–Friday opening and the 2026–2027 terms
        # (autumn 2026-08-01 – 2027-01-31, spring 2027-02-01 – 07-31), as `shuxiang init` makes.
        circulation_defaults.ensure_defaults(date(2026, 11, 2))
        cls.stacks = Location.objects.get(code="STACKS")
        cls.reading_room = Location.objects.get(code="READING")
        cls.lena = User.objects.create_user(
            "lena",
            password="lena-pass-1",
            role=User.Role.LIBRARIAN,
            display_name="李娜",
            is_staff=True,
        )
        cls.ada = User.objects.create_user(
            "ada", password="ada-pass-1", role=User.Role.STUDENT, display_name="王艾达"
        )
        cls.tom = User.objects.create_user(
            "tom", password="tom-pass-1", role=User.Role.TEACHER, display_name="唐老师"
        )
        # 五年级(2)班: Ada is a pupil, Hana (韩老师) its homeroom teacher; Tom teaches, no class.
        cls.hana = User.objects.create_user(
            "hana", password="hana-pass-1", role=User.Role.HOMEROOM, display_name="韩老师"
        )
        cls.class_5_2 = SchoolClass.objects.create(grade=5, number=2, enrolment_year=2022)
        cls.ada_patron = Patron.objects.create(
            card_number="P0001",
            name="王艾达",
            type=Patron.Type.STUDENT,
            gender=Patron.Gender.FEMALE,
            student_number="2022050201",
            school_class=cls.class_5_2,
            enrolment_year=2022,
            guardian_phone="13800000001",
            user=cls.ada,
        )
        cls.tom_patron = Patron.objects.create(
            card_number="P0002",
            name="唐老师",
            type=Patron.Type.TEACHER,
            staff_number="T001",
            user=cls.tom,
        )
        cls.hana_patron = Patron.objects.create(
            card_number="P0003",
            name="韩老师",
            type=Patron.Type.TEACHER,
            staff_number="T002",
            user=cls.hana,
        )
        cls.class_5_2.homeroom_teacher = cls.hana_patron
        cls.class_5_2.save()
        cls.journey = services.catalogue_record(
            services.RecordData.with_authors(
                "西游记",
                ["吴承恩"],
                publisher="人民文学出版社",
                year=2019,
                isbn="978-7-02-000220-7",
                price=Decimal("45.00"),
                class_number="I242.4",
            ),
            [services.ItemData(barcode="T0001"), services.ItemData(barcode="T0002")],
            by=cls.lena,
        )

    def api_token(self, user: User) -> str:
        return ApiToken.mint(user)[1]

    def auth(self, user: User) -> dict[str, str]:
        """Headers for an API call as this user: self.client.get(url, headers=self.auth(u))."""
        return {"Authorization": f"Bearer {self.api_token(user)}"}
