"""Who may open what: every web page and API endpoint, for every role, against a table.

The table below is the specification. Every URL pattern must appear in it, so a new page
cannot be added without deciding who may open it. A cell "allowed" means the page answers
(200, a redirect within the app, 400 for a missing form field, 404 for an absent object);
"denied" means 403 for a signed-in user and the login page for a visitor. Kiosk accounts
speak SIP2 only: a kiosk's web session is refused every page but logging in and out.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from shuxiang.accounts.models import User
from shuxiang.catalog import services as catalog
from shuxiang.circulation import services as circulation
from shuxiang.circulation.models import Hold
from shuxiang.jobs.models import Job
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

ROLES = ["librarian", "assistant", "homeroom", "teacher", "student", "viewer", "kiosk", "anon"]
LIB = {"librarian"}
DESK = {"librarian", "assistant"}
ANYONE = set(ROLES)
SIGNED_IN = ANYONE - {"anon", "kiosk"}
PUBLIC = ANYONE - {"kiosk"}  # the OPAC: visitors welcome, a kiosk's web session refused
READERS = {"librarian", "homeroom", "teacher", "student"}
HOMEROOM = {"librarian", "homeroom"}
REPORTS = {"librarian", "viewer"}
MISSING = 999_999

# Pattern name → who may open it. Where the page is about one patron or class, the pk is the
# student Ada's (P0001, 五年级(2)班), so the table also says who may see a child's data.
TABLE: dict[str, set[str]] = {
    "set_language": ANYONE,
    "accounts:login": ANYONE,
    "accounts:logout": ANYONE,
    "catalog:home": LIB,
    "catalog:record_new": LIB,
    "catalog:record": LIB,
    "catalog:record_edit": LIB,
    "catalog:item_add": LIB,
    "catalog:shelf_list": LIB,
    "catalog:clc_browse": SIGNED_IN,
    "catalog:clc_search": SIGNED_IN,
    "catalog:clc_pick": SIGNED_IN,
    "catalog:clc_check": SIGNED_IN,
    "catalog:clc_class": SIGNED_IN,
    "patrons:list": LIB,
    "patrons:new": LIB,
    "patrons:me": SIGNED_IN,
    "patrons:detail": {"librarian", "homeroom", "student"},
    "patrons:edit": LIB,
    "patrons:status": LIB,
    "patrons:card_lost": LIB,
    "patrons:reissue": LIB,
    "patrons:export": LIB,
    "patrons:erase": LIB,
    "patrons:class_list": LIB,
    "patrons:class_detail": HOMEROOM,
    "patrons:class_edit": LIB,
    "patrons:my_class": {"homeroom"},
    "roster:upload": LIB,
    "roster:template": LIB,
    "roster:job": LIB,
    "roster:import": LIB,
    "roster:cancel": LIB,
    "rollover:preview": LIB,
    "rollover:run": LIB,
    "rollover:detail": LIB,
    "rollover:undo": LIB,
    "jobs:detail": LIB,
    "jobs:status": LIB,
    "imports:list": LIB,
    "imports:detail": LIB,
    "marc_import:upload": LIB,
    "marc_import:job": LIB,
    "marc_import:import": LIB,
    "marc_import:cancel": LIB,
    "marc_export:form": LIB,
    "marc_export:count": LIB,
    "ledger:upload": LIB,
    "ledger:template": LIB,
    "ledger:export": LIB,
    "ledger:job": LIB,
    "ledger:import": LIB,
    "ledger:cancel": LIB,
    "labels:index": LIB,
    "labels:test_page": LIB,
    "cards:index": LIB,
    "notices:index": HOMEROOM,
    "notices:school_pdf": LIB,
    "notices:class_pdf": HOMEROOM,
    "goals:list": REPORTS,
    "goals:add": LIB,
    "goals:quick_add": LIB,
    "goals:edit": LIB,
    "goals:delete": LIB,
    "goals:up": LIB,
    "goals:down": LIB,
    "reports:index": REPORTS,
    "reports:term": REPORTS,
    "reports:term_download": REPORTS,
    "reports:table_download": REPORTS,
    "reports:my_class": HOMEROOM,
    "reports:class": HOMEROOM,
    "reports:compliance": REPORTS,
    "reports:compliance_targets": LIB,
    "withdrawals:scan": LIB,
    "withdrawals:withdraw": LIB,
    "withdrawals:undo": LIB,
    "withdrawals:register": LIB,
    "withdrawals:register_xlsx": LIB,
    "desk:desk": DESK,
    "desk:scan": DESK,
    "desk:close": DESK,
    "desk:undo": DESK,
    "desk:renew": DESK,
    "desk:renew_all": DESK,
    "desk:station": LIB,
    "circ_settings:index": LIB,
    "circ_settings:rules": LIB,
    "circ_settings:rule_new": LIB,
    "circ_settings:rule_check": LIB,
    "circ_settings:rule_edit": LIB,
    "circ_settings:rule_delete": LIB,
    "circ_settings:calendar": LIB,
    "circ_settings:term_new": LIB,
    "circ_settings:term_edit": LIB,
    "circ_settings:term_delete": LIB,
    "circ_settings:closed_new": LIB,
    "circ_settings:closed_delete": LIB,
    "circ_settings:hours": LIB,
    "circ_settings:policy": LIB,
    "circ_settings:rotation": LIB,
    "circ_settings:slot_new": LIB,
    "circ_settings:slot_edit": LIB,
    "circ_settings:slot_delete": LIB,
    "circ_settings:rotation_generate": LIB,
    "circ_settings:rotation_move": LIB,
    "circ_settings:rotation_week": LIB,
    "corners:list": HOMEROOM,
    "corners:detail": HOMEROOM,
    "corners:lend": LIB,
    "corners:return": LIB,
    "corners:return_all": LIB,
    "corners:print": HOMEROOM,
    "corners:room": LIB,
    "corners:room_check_in": LIB,
    "corners:visits": DESK,
    "holds:list": LIB,
    "holds:cancel": LIB,
    "holds:expire": LIB,
    "holds:shelf_print": LIB,
    "overdue:index": HOMEROOM,
    "overdue:school_xlsx": LIB,
    "overdue:school_pdf": LIB,
    "overdue:notices_school": LIB,
    "overdue:make_notices_school": LIB,
    "overdue:printed_school": LIB,
    "overdue:class": HOMEROOM,
    "overdue:class_xlsx": HOMEROOM,
    "overdue:class_pdf": HOMEROOM,
    "overdue:notices": HOMEROOM,
    "overdue:make_notices": HOMEROOM,
    "overdue:printed": HOMEROOM,
    "overdue:fines": LIB,
    "overdue:fine": LIB,
    "overdue:lost": LIB,
    "overdue:damaged": LIB,
    "overdue:repairs": LIB,
    "overdue:repaired": LIB,
    "opac:search": PUBLIC,
    "opac:record": PUBLIC,
    "opac:place_hold": SIGNED_IN,
    "opac:cancel_hold": {"student"},  # Ada's own hold; everyone else: not found
}


def web_patterns() -> list[tuple[str, URLPattern]]:
    """Every named page outside the JSON API, with its namespaced name."""

    def walk(patterns: list[Any], ns: str) -> list[tuple[str, URLPattern]]:
        found: list[tuple[str, URLPattern]] = []
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "api":
                    continue
                found += walk(p.url_patterns, ns + (f"{p.namespace}:" if p.namespace else ""))
            elif p.name:
                found.append((ns + p.name, p))
        return found

    return walk(get_resolver().url_patterns, "")


class Matrix(BaseTestCase):
    users: dict[str, User | None]
    job: Job
    hold: Hold

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.users = {
            "librarian": cls.lena,
            "assistant": User.objects.create_user(
                "sam", password="sam-pass-12", role=User.Role.ASSISTANT
            ),
            "homeroom": cls.hana,
            "teacher": cls.tom,
            "student": cls.ada,
            "viewer": User.objects.create_user(
                "vic", password="vic-pass-12", role=User.Role.VIEWER
            ),
            "kiosk": User.objects.create_user(
                "kiosk1", password="kiosk-pass-1", role=User.Role.KIOSK
            ),
            "anon": None,
        }
        cls.job = Job.objects.create(kind=Job.Kind.ROSTER_IMPORT, created_by=cls.lena)
        desk = circulation.Channel(by=cls.lena, via="web")
        for barcode in ("T0001", "T0002"):
            circulation.check_out(cls.tom_patron, barcode, desk)
        cls.hold = circulation.place_hold(
            cls.ada_patron, cls.journey, circulation.Channel(by=cls.ada, via="web")
        )

    def kwargs_for(self, pattern: URLPattern) -> dict[str, Any]:
        names = set(pattern.pattern.regex.groupindex)
        values: dict[str, Any] = {
            "code": "I",
            "fmt": "xlsx",
            "table": "classes",
            "action": "suspend",
            "loan_pk": MISSING,
            "pk": MISSING,
        }
        return {name: values[name] for name in names}

    def url_for(self, name: str, pattern: URLPattern) -> str:
        kwargs = self.kwargs_for(pattern)
        if "pk" in kwargs:
            kwargs["pk"] = self.pk_for(name)
        return reverse(name, kwargs=kwargs)

    def pk_for(self, name: str) -> int:
        if name.startswith("patrons:class_") or name in {
            "reports:class",
            "overdue:class",
            "overdue:class_xlsx",
            "overdue:class_pdf",
            "overdue:notices",
            "overdue:make_notices",
            "overdue:printed",
            "notices:class_pdf",
            "corners:detail",
            "corners:print",
        }:
            return self.class_5_2.pk
        if name.startswith("patrons:"):
            return self.ada_patron.pk
        if name.startswith("catalog:") or name in {"opac:record", "opac:place_hold"}:
            return self.journey.pk
        if name.startswith("jobs:"):
            return self.job.pk
        if name == "opac:cancel_hold":
            return self.hold.pk
        return MISSING

    def outcome(self, role: str, name: str, pattern: URLPattern) -> str:
        self.client.logout()
        user = self.users[role]
        if user is not None:
            self.client.force_login(user)
        url = self.url_for(name, pattern)
        r = self.client.get(url)
        if r.status_code == 405:
            r = self.client.post(url, {})
        status = r.status_code
        self.assertLess(status, 500, f"{role} {url}")
        if status == 403:
            return "denied"
        if status in {301, 302} and r["Location"].startswith(reverse("accounts:login")):
            return "denied"
        if status == 404 and self.pk_for(name) != MISSING and "pk" in self.kwargs_for(pattern):
            # The object exists: "not found" is how some pages refuse (jobs, holds), so
            # that ids say nothing about other people's things.
            return "denied"
        return "allowed"


class WebPageMatrixTests(Matrix):
    def test_every_page_is_in_the_table(self) -> None:
        names = {name for name, _pattern in web_patterns()}
        self.assertEqual(sorted(names - TABLE.keys()), [], "pages nobody decided about")
        self.assertEqual(sorted(TABLE.keys() - names), [], "pages that no longer exist")

    def test_each_role_opens_exactly_the_pages_the_table_gives_it(self) -> None:
        wrong = []
        for name, pattern in web_patterns():
            for role in ROLES:
                expected = "allowed" if role in TABLE[name] else "denied"
                got = self.outcome(role, name, pattern)
                if got != expected:
                    wrong.append(f"{role} {name}: {got}, expected {expected}")
        self.assertEqual(wrong, [], "\n".join(wrong))


# The JSON API: token → the token's user's role, nothing more. "denied" is 401 without a token
# and 403 (or 404 where a card number must say nothing) with one.
# The catalogue is public (the OPAC needs no login), so any token may read it, a kiosk's too.
CATALOGUE = SIGNED_IN | {"kiosk"}
API: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("get", "/api/v1/health", None, ANYONE),
    ("get", "/api/v1/records?q=西游记", None, CATALOGUE),
    ("get", "/api/v1/records/{journey}", None, CATALOGUE),
    ("post", "/api/v1/records", {"title": "新书", "authors": ["某人"]}, LIB),
    ("get", "/api/v1/locations", None, CATALOGUE),
    ("get", "/api/v1/items/T0001", None, CATALOGUE),
    ("get", "/api/v1/classes", None, HOMEROOM),
    ("post", "/api/v1/checkouts", {"patron": "P0001", "item": "T0003"}, DESK),
    ("post", "/api/v1/checkins", {"item": "T0003"}, DESK),
    ("post", "/api/v1/renewals", {"item": "T0003"}, DESK),
    ("post", "/api/v1/holds", {"patron": "P0001", "record": "{journey}"}, {"librarian", "student"}),
    ("get", "/api/v1/patrons/P0001", None, {"librarian", "homeroom", "student"}),
]


class ApiMatrixTests(Matrix):
    def call(self, role: str, method: str, path: str, body: dict[str, Any] | None) -> int:
        user = self.users[role]
        headers = self.auth(user) if user is not None else {}
        path = path.replace("{journey}", str(self.journey.pk))
        if body is not None:
            body = {
                k: int(v.format(journey=self.journey.pk)) if v == "{journey}" else v
                for k, v in body.items()
            }
        if method == "get":
            return self.client.get(path, headers=headers).status_code
        return self.client.post(
            path, body, content_type="application/json", headers=headers
        ).status_code

    def test_each_role_calls_exactly_the_endpoints_the_table_gives_it(self) -> None:
        catalog.add_item(self.journey, catalog.ItemData(barcode="T0003"), by=self.lena)
        wrong = []
        for method, path, body, allowed in API:
            for role in ROLES:
                status = self.call(role, method, path, body)
                self.assertLess(status, 500, f"{role} {method} {path}")
                got = "denied" if status in {401, 403} else "allowed"
                expected = "allowed" if role in allowed else "denied"
                if got != expected:
                    wrong.append(f"{role} {method} {path}: {status}, expected {expected}")
        self.assertEqual(wrong, [], "\n".join(wrong))


class OwnDataTests(Matrix):
    def test_a_student_opens_their_own_patron_page_and_no_one_elses(self) -> None:
        self.client.force_login(self.ada)
        own = self.client.get(f"/staff/patrons/{self.ada_patron.pk}/", follow=True)
        self.assertEqual(own.status_code, 200)
        self.assertContains(own, "P0001")
        self.assertEqual(self.client.get(f"/staff/patrons/{self.tom_patron.pk}/").status_code, 403)
        self.assertEqual(self.client.get(f"/staff/patrons/{self.hana_patron.pk}/").status_code, 403)

    def test_a_student_reads_only_their_own_card_over_the_api(self) -> None:
        headers = self.auth(self.ada)
        self.assertEqual(self.client.get("/api/v1/patrons/P0001", headers=headers).status_code, 200)
        other = self.client.get("/api/v1/patrons/P0002", headers=headers)
        self.assertIn(other.status_code, {403, 404})
        self.assertNotContains(other, "唐老师", status_code=other.status_code)

    def test_a_homeroom_teacher_sees_only_their_own_class(self) -> None:
        other = SchoolClass.objects.create(grade=3, number=1, enrolment_year=2024)
        pupil = Patron.objects.create(
            card_number="P0009", name="小明", type=Patron.Type.STUDENT, school_class=other
        )
        self.client.force_login(self.hana)
        self.assertEqual(self.client.get(f"/staff/patrons/classes/{other.pk}/").status_code, 403)
        self.assertEqual(self.client.get(f"/staff/patrons/{pupil.pk}/").status_code, 403)
        self.assertEqual(self.client.get(f"/staff/overdue/classes/{other.pk}/").status_code, 403)
        self.assertEqual(self.client.get(f"/staff/reports/class/{other.pk}/").status_code, 403)
        r = self.client.get("/api/v1/patrons/P0009", headers=self.auth(self.hana))
        self.assertIn(r.status_code, {403, 404})

    def test_a_reader_cannot_cancel_someone_elses_hold(self) -> None:
        self.client.force_login(self.tom)
        r = self.client.post(f"/my/holds/{self.hold.pk}/cancel/")
        self.assertEqual(r.status_code, 404)
        self.hold.refresh_from_db()
        self.assertEqual(self.hold.status, "waiting")

    def test_an_assistant_may_open_only_the_desk_among_staff_pages(self) -> None:
        staff_pages = {
            name
            for name, roles in TABLE.items()
            if "assistant" in roles and roles not in (ANYONE, SIGNED_IN, PUBLIC)
        }
        self.assertEqual(
            staff_pages,
            {
                "desk:desk",
                "desk:scan",
                "desk:close",
                "desk:undo",
                "desk:renew",
                "desk:renew_all",
                "corners:visits",
            },
        )

    def test_a_kiosk_session_is_refused_every_page_but_logging_out(self) -> None:
        self.client.force_login(self.users["kiosk"])  # type: ignore[arg-type]
        self.assertEqual(self.client.get("/").status_code, 403)
        self.assertEqual(self.client.get("/desk/").status_code, 403)
        self.assertRedirects(self.client.post("/accounts/logout/"), "/")
