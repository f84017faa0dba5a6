from __future__ import annotations

from datetime import date

from shuxiang.accounts.models import AuditLog
from shuxiang.patrons import services
from shuxiang.patrons.models import Patron, SchoolClass

from .test_patron_roles import PatronWorld


class PatronListViewTests(PatronWorld):
    URL = "/staff/patrons/"

    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def names(self, **params: str) -> list[str]:
        r = self.client.get(self.URL, params)
        self.assertEqual(r.status_code, 200)
        return [patron.name for patron in r.context["page_obj"]]

    def test_it_lists_students_by_class_then_teachers_by_staff_number(self) -> None:
        self.assertEqual(self.names(), ["白贝", "王艾达", "欧老师", "唐老师", "韩老师"])

    def test_it_finds_a_patron_by_part_of_the_name(self) -> None:
        self.assertEqual(self.names(q="艾达"), ["王艾达"])

    def test_it_finds_a_patron_by_card_number_in_any_case_and_width(self) -> None:
        self.assertEqual(self.names(q="p0001"), ["王艾达"])
        self.assertEqual(self.names(q="Ｐ０００１"), ["王艾达"])

    def test_it_finds_a_student_by_a_full_width_student_number(self) -> None:
        self.assertEqual(self.names(q="２０２４０３０１０１ "), ["白贝"])

    def test_it_finds_a_teacher_by_staff_number(self) -> None:
        self.assertEqual(self.names(q="t001"), ["唐老师"])

    def test_an_old_card_number_still_finds_its_patron(self) -> None:
        services.reissue_card(self.ada_patron, by=self.lena, new_number="P0100")
        self.assertEqual(self.names(q="P0001"), ["王艾达"])

    def test_it_filters_by_type_status_and_class(self) -> None:
        self.assertEqual(self.names(type="student"), ["白贝", "王艾达"])
        services.report_card_lost(self.bea_patron, by=self.lena)
        self.assertEqual(self.names(status="card_lost"), ["白贝"])
        self.assertEqual(self.names(**{"class": str(self.class_5_2.pk)}), ["王艾达"])
        self.assertEqual(self.names(type="student", **{"class": str(self.class_3_1.pk)}), ["白贝"])

    def test_unknown_filter_values_are_ignored(self) -> None:
        self.assertEqual(len(self.names(type="robot", status="gone", **{"class": "x"})), 5)

    def test_it_shows_status_badges_and_books_out(self) -> None:
        services.report_card_lost(self.bea_patron, by=self.lena)
        self.loan(self.ada_patron, "T0001", out=date(2025, 3, 1), due=date(2025, 3, 15))
        r = self.client.get(self.URL)
        self.assertContains(r, 'data-status="card_lost"')
        self.assertContains(r, "已挂失")
        rows = {p.name: p.books_out for p in r.context["page_obj"]}
        self.assertEqual(rows["王艾达"], 1)
        self.assertEqual(rows["白贝"], 0)

    def test_it_says_when_nothing_matches(self) -> None:
        r = self.client.get(self.URL, {"q": "没有这个人"})
        self.assertContains(r, "没有找到")

    def test_it_pages_with_a_fixed_number_of_queries(self) -> None:
        school_class = SchoolClass.objects.create(grade=1, number=1)
        Patron.objects.bulk_create(
            Patron(
                card_number=f"S{n:04d}",
                name=f"学生{n}",
                student_number=f"2025{n:04d}",
                school_class=school_class,
            )
            for n in range(120)
        )
        self.client.get(self.URL)  # warm the session
        # session, user, count, page of rows, audit row, class options
        with self.assertNumQueries(6):
            r = self.client.get(self.URL, {"page": "2"})
        self.assertEqual(len(r.context["page_obj"]), 50)
        self.assertContains(r, "page=3")
        with self.assertNumQueries(6):
            self.client.get(self.URL, {"q": "学生1", "type": "student"})

    def test_each_look_at_the_list_is_logged_without_the_search_text(self) -> None:
        self.client.get(self.URL, {"q": "王艾达", "class": str(self.class_5_2.pk)})
        row = AuditLog.objects.get(action="patron.list_viewed")
        self.assertEqual(row.by, self.lena)
        self.assertEqual(
            row.detail,
            {
                "page": 1,
                "searched": True,
                "filters": {"type": "", "status": "", "class": self.class_5_2.pk},
            },
        )
        self.assertNotIn("王艾达", str(row.detail))

    def test_it_links_to_adding_a_patron_and_to_the_classes(self) -> None:
        r = self.client.get(self.URL)
        self.assertContains(r, 'href="/staff/patrons/new/"')
        self.assertContains(r, 'href="/staff/patrons/classes/"')

    def test_it_links_to_the_roster_import_and_the_year_rollover(self) -> None:
        r = self.client.get(self.URL)
        self.assertContains(r, 'href="/staff/roster/"')
        self.assertContains(r, 'href="/staff/rollover/"')
