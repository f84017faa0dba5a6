"""Who may open which patron and class page or API endpoint: one row per page, one column per
role. Adding a page is one line in MATRIX.

Each cell is what a GET answers: a status code, `login` (302 to the login page), or `→…`
(302 to another page, named in REDIRECTS). Writes are refused by the same decorators and are
tested on each page's own tests.

The world: 五年级(2)班 with Ada (student, has a login) and Ben (another student of the class
with a login), Hana its homeroom teacher; 四年级(1)班 with Olga as homeroom teacher; Tom a
teacher with no class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from shuxiang.accounts.models import ApiToken, User
from shuxiang.jobs.models import Job
from shuxiang.patrons.models import Patron, Rollover, SchoolClass
from shuxiang.test import BaseTestCase

ROLES = (
    "librarian",  # lib
    "assistant",  # ast
    "homeroom",  # hrm: of Ada's class, 五年级(2)班
    "homeroom_other",  # hro: of 四年级(1)班
    "teacher",  # tch
    "student_self",  # slf: Ada
    "student_other",  # oth: Ben, Ada's classmate
    "viewer",  # vwr
    "kiosk",  # ksk
    "anonymous",  # anon
)


@dataclass(frozen=True)
class Row:
    page: str  # a URL name, or an API path with {card} / {pk} to fill in
    target: str  # whose page: a key of RoleMatrixTests.targets
    expect: tuple[str, ...]
    kwargs: dict[str, str] = field(default_factory=dict)


def row(page: str, target: str, expect: str, **kwargs: str) -> Row:
    cells = tuple(expect.split())
    assert len(cells) == len(ROLES), f"{page}: {len(cells)} cells for {len(ROLES)} roles"
    return Row(page, target, cells, kwargs)


# fmt: off
MATRIX = [
    # page                        target         lib ast hrm hro tch slf oth vwr ksk anon
    row("patrons:list",           "",           "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:new",            "",           "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:detail",         "ada",        "200 403 200 403 403 →me 403 403 403 login"),
    row("patrons:detail",         "missing",    "404 404 404 404 404 404 404 404 403 login"),
    row("patrons:edit",           "ada",        "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:card_lost",      "ada",        "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:reissue",        "ada",        "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:status",         "ada",        "200 403 403 403 403 403 403 403 403 login", action="suspend"),  # noqa: E501
    row("patrons:export",         "ada",        "200 403 403 403 403 403 403 403 403 login", fmt="json"),  # noqa: E501
    row("patrons:erase",          "ada",        "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:me",             "",           "200 200 200 200 200 200 200 200 403 login"),
    row("patrons:class_list",     "",           "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:class_detail",   "class_5_2",  "200 403 200 403 403 403 403 403 403 login"),
    row("patrons:class_detail",   "missing",    "404 404 404 404 404 404 404 404 403 login"),
    row("patrons:class_edit",     "class_5_2",  "200 403 403 403 403 403 403 403 403 login"),
    row("patrons:my_class",       "",           "403 403 →52 →41 403 403 403 403 403 login"),
    row("rollover:preview",       "",           "200 403 403 403 403 403 403 403 403 login"),
    row("rollover:run",           "",           "405 403 403 403 403 403 403 403 403 login"),
    row("rollover:detail",        "rollover",   "200 403 403 403 403 403 403 403 403 login"),
    row("rollover:undo",          "rollover",   "405 403 403 403 403 403 403 403 403 login"),
    row("roster:upload",          "",           "200 403 403 403 403 403 403 403 403 login"),
    row("roster:template",        "",           "200 403 403 403 403 403 403 403 403 login"),
    row("roster:job",             "roster_job", "200 403 403 403 403 403 403 403 403 login"),
    row("roster:import",          "roster_job", "405 403 403 403 403 403 403 403 403 login"),
    row("roster:cancel",          "roster_job", "405 403 403 403 403 403 403 403 403 login"),
    row("/api/v1/patrons/{card}", "ada",        "200 403 200 403 403 200 403 403 403 401"),
    row("/api/v1/patrons/{card}", "tom",        "200 403 403 403 200 403 403 403 403 401"),
    row("/api/v1/patrons/{card}", "missing",    "404 403 404 404 404 404 404 403 403 401"),
    row("/api/v1/classes",        "",           "200 403 200 200 403 403 403 403 403 401"),
]
# fmt: on

REDIRECTS = {
    "→me": lambda t: reverse("patrons:me"),
    "→52": lambda t: reverse("patrons:class_detail", args=[t.class_5_2.pk]),
    "→41": lambda t: reverse("patrons:class_detail", args=[t.class_4_1.pk]),
}


class RoleMatrixTests(BaseTestCase):
    users: dict[str, User | None]
    tokens: dict[str, str]
    targets: dict[str, dict[str, object]]
    class_4_1: SchoolClass

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        olga = User.objects.create_user("olga", role=User.Role.HOMEROOM)
        cls.class_4_1 = SchoolClass.objects.create(
            grade=4,
            number=1,
            homeroom_teacher=Patron.objects.create(
                card_number="P0020", name="欧老师", type=Patron.Type.TEACHER, user=olga
            ),
        )
        ben = User.objects.create_user("ben", role=User.Role.STUDENT)
        Patron.objects.create(
            card_number="P0021",
            name="李本",
            student_number="2022050299",
            school_class=cls.class_5_2,
            user=ben,
        )
        rollover = Rollover.objects.create(school_year=2025, run_by=cls.lena)
        job = Job.objects.create(kind=Job.Kind.ROSTER_IMPORT, created_by=cls.lena)
        cls.users = {
            "librarian": cls.lena,
            "assistant": User.objects.create_user("asst", role=User.Role.ASSISTANT),
            "homeroom": cls.hana,
            "homeroom_other": olga,
            "teacher": cls.tom,
            "student_self": cls.ada,
            "student_other": ben,
            "viewer": User.objects.create_user("viewer", role=User.Role.VIEWER),
            "kiosk": User.objects.create_user("kiosk", role=User.Role.KIOSK),
            "anonymous": None,
        }
        cls.tokens = {
            role: ApiToken.mint(user)[1] for role, user in cls.users.items() if user is not None
        }
        cls.targets = {
            "": {},
            "ada": {"pk": cls.ada_patron.pk, "card": "P0001"},
            "tom": {"pk": cls.tom_patron.pk, "card": "P0002"},
            "class_5_2": {"pk": cls.class_5_2.pk},
            "missing": {"pk": 999999, "card": "P9999"},
            "rollover": {"pk": rollover.pk},
            "roster_job": {"pk": job.pk},
        }

    def url(self, r: Row) -> str:
        target = self.targets[r.target]
        if r.page.startswith("/"):
            return r.page.format(**target)
        kwargs = {**({"pk": target["pk"]} if "pk" in target else {}), **r.kwargs}
        return reverse(r.page, kwargs=kwargs)

    def answer(self, role: str, url: str) -> tuple[int, str]:
        user = self.users[role]
        if url.startswith("/api/"):
            headers = {"Authorization": f"Bearer {self.tokens[role]}"} if user else {}
            response = self.client.get(url, headers=headers)
        else:
            if user is None:
                self.client.logout()
            else:
                self.client.force_login(user)
            response = self.client.get(url)
        return response.status_code, response.get("Location", "")

    def expected(self, cell: str, url: str) -> tuple[int, str]:
        if cell == "login":
            return 302, f"{reverse('accounts:login')}?next={url}"
        if cell in REDIRECTS:
            return 302, REDIRECTS[cell](self)
        return int(cell), ""

    def test_every_role_gets_what_it_should_from_every_page(self) -> None:
        for r in MATRIX:
            url = self.url(r)
            for role, cell in zip(ROLES, r.expect, strict=True):
                with self.subTest(page=r.page, target=r.target, role=role):
                    status, location = self.answer(role, url)
                    want_status, want_location = self.expected(cell, url)
                    self.assertEqual(status, want_status, f"{role} GET {url}")
                    if want_location:
                        self.assertEqual(location, want_location)
