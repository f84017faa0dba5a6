from __future__ import annotations

import re
from typing import Any

from django.test import override_settings
from django.urls import reverse

from shuxiang.catalog import services
from shuxiang.catalog.models import ClcClass
from shuxiang.catalog.tests.test_clc_table import load_small
from shuxiang.test import BaseTestCase

BROWSE = "/staff/catalog/clc/"
PICK = "/staff/catalog/clc/pick"
CHECK = "/staff/catalog/clc/check"
SEARCH = "/staff/catalog/clc/search"


# UI strings are checked in their English source form, whatever the translators have done.
@override_settings(LANGUAGE_CODE="en")
class ClcViewTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()  # 西游记, I242.4
        load_small()
        for title in ["宝葫芦的秘密", "小兵张嘎"]:
            services.catalogue_record(
                services.RecordData.with_authors(title, ["张天翼"], class_number="I287.5"),
                by=cls.lena,
            )

    def setUp(self) -> None:
        self.client.force_login(self.lena)


class LoginTests(ClcViewTestCase):
    def test_it_sends_visitors_to_the_login_page(self) -> None:
        self.client.logout()
        for url in [BROWSE, f"{BROWSE}I287/", f"{SEARCH}?q=I", f"{PICK}?q=I", f"{CHECK}?code=I"]:
            with self.subTest(url):
                r = self.client.get(url)
                self.assertEqual(r.status_code, 302)
                self.assertIn(reverse("accounts:login"), r["Location"])


class BrowseTests(ClcViewTestCase):
    def test_it_lists_the_main_classes_with_links_down(self) -> None:
        r = self.client.get(reverse("catalog:clc_browse"))
        self.assertContains(r, "Chinese Library Classification")
        for code in ["B", "I", "K", "T"]:
            self.assertContains(r, f'href="{BROWSE}{code}/"')

    def test_it_counts_the_records_under_each_main_class(self) -> None:
        r = self.client.get(BROWSE)
        row = re.search(r'href="/staff/catalog/clc/I/".*?</tr>', r.content.decode(), re.S)
        assert row is not None
        self.assertIn('<td class="text-end">3</td>', row.group())

    def test_it_shows_a_class_with_its_breadcrumb_children_and_record_count(self) -> None:
        r = self.client.get(reverse("catalog:clc_class", args=["I287"]))
        self.assertContains(
            r,
            '<li class="breadcrumb-item"><a href="/staff/catalog/clc/I28/">I28 儿童文学</a></li>',
            html=True,
        )
        self.assertContains(r, "当代作品（1949年~）")
        self.assertContains(r, 'href="/staff/catalog/clc/I287.5/"')
        self.assertContains(r, "alternative class")  # [I287.9]
        self.assertContains(r, "2 records in the catalogue are classed here or below.")

    def test_it_says_when_a_class_has_no_subdivisions(self) -> None:
        r = self.client.get(f"{BROWSE}I287.5/")
        self.assertContains(r, "No subdivisions")
        self.assertEqual(r.context["current"].code, "I287.5")

    def test_it_opens_range_headings_and_bracketed_codes(self) -> None:
        r = self.client.get(reverse("catalog:clc_class", args=["B31/39"]))
        self.assertContains(r, "B313")
        self.assertContains(r, "range")
        r = self.client.get(reverse("catalog:clc_class", args=["[I287.9]"]))
        self.assertEqual(r.context["current"].code, "[I287.9]")

    def test_it_normalises_the_code_in_the_address(self) -> None:
        r = self.client.get(f"{BROWSE}i287.5/")
        self.assertEqual(r.context["current"].code, "I287.5")

    def test_it_redirects_a_number_beyond_the_table_to_its_nearest_class(self) -> None:
        r = self.client.get(f"{BROWSE}K825.6=74/", follow=True)
        self.assertRedirects(r, f"{BROWSE}K825.6/")
        self.assertContains(r, "K825.6=74")

    def test_it_answers_404_for_a_class_outside_the_table(self) -> None:
        self.assertEqual(self.client.get(f"{BROWSE}A1/").status_code, 404)

    def test_it_tells_how_to_load_an_empty_table(self) -> None:
        ClcClass.objects.all().delete()
        self.assertContains(self.client.get(BROWSE), "shuxiang import clc")

    def test_it_browses_in_a_fixed_number_of_queries(self) -> None:
        # Session and user, the class, its children, the counts, one per level above it.
        with self.assertNumQueries(8):
            self.client.get(f"{BROWSE}I287/")
        with self.assertNumQueries(4):
            self.client.get(BROWSE)


class SearchTests(ClcViewTestCase):
    def test_it_finds_classes_by_code_prefix(self) -> None:
        r = self.client.get(SEARCH, {"q": "i287"})
        self.assertEqual(
            [row.code for row in r.context["rows"]],
            ["I287", "I287.5", "I287.7", "I287.8", "[I287.9]"],
        )

    def test_it_finds_classes_by_words_and_shows_where_they_stand(self) -> None:
        r = self.client.get(SEARCH, {"q": "童话"})
        self.assertEqual([row.code for row in r.context["rows"]], ["I286.7", "I287.7"])
        self.assertContains(r, "儿童文学</a> › ")
        self.assertContains(r, 'href="/staff/catalog/clc/I287/"')

    def test_it_explains_a_code_that_is_no_class_number(self) -> None:
        r = self.client.get(SEARCH, {"q": "L12"})
        self.assertContains(r, "No class matches")
        self.assertContains(r, "基本大类")

    def test_it_shows_the_form_without_a_query(self) -> None:
        r = self.client.get(SEARCH)
        self.assertContains(r, 'name="q"')
        self.assertEqual(r.context["rows"], [])


BUTTON = re.compile(r'<button ([^>]*data-clc-code="([^"]*)"[^>]*)>(.*?)</button>', re.S)


def buttons(html: str) -> list[dict[str, str]]:
    return [{"attrs": a, "code": code, "text": text} for a, code, text in BUTTON.findall(html)]


class PickTests(ClcViewTestCase):
    def test_it_answers_a_fragment_of_buttons_carrying_the_code(self) -> None:
        r = self.client.get(reverse("catalog:clc_pick"), {"q": "I287.5"})
        html = r.content.decode()
        self.assertTrue(html.startswith('<div class="list-group">'))
        self.assertNotIn("<html", html)
        [button] = buttons(html)
        self.assertIn('type="button"', button["attrs"])
        self.assertIn('class="list-group-item list-group-item-action"', button["attrs"])
        self.assertIn('data-clc-name="故事"', button["attrs"])
        self.assertEqual(
            button["text"], "I287.5 故事 — 文学 › 中国文学 › 儿童文学 › 当代作品（1949年~）"
        )

    def test_it_finds_by_words_and_leaves_out_classes_not_for_use(self) -> None:
        self.assertEqual([b["code"] for b in buttons(self.pick("童话"))], ["I286.7", "I287.7"])
        self.assertEqual(
            [b["code"] for b in buttons(self.pick("I287"))], ["I287", "I287.5", "I287.7", "I287.8"]
        )
        self.assertEqual([b["code"] for b in buttons(self.pick("B3"))], ["B3", "B313", "B351"])

    def pick(self, q: str, name: str = "q") -> str:
        return self.client.get(PICK, {name: q}).content.decode()

    def test_it_offers_a_number_built_beyond_the_table_as_typed(self) -> None:
        [button] = buttons(self.pick("k825.6=74"))
        self.assertEqual(button["code"], "K825.6=74")
        self.assertIn('data-clc-name="文学"', button["attrs"])
        self.assertTrue(button["text"].startswith("K825.6=74 — 历史、地理 › "))

    def test_it_gives_at_most_twenty(self) -> None:
        ClcClass.objects.bulk_create(
            ClcClass(code=f"I287.{n}{n}", name=f"故事{n}", depth=6) for n in range(1, 10)
        )
        ClcClass.objects.bulk_create(
            ClcClass(code=f"I287.5{n}1", name=f"故事{n}", depth=7) for n in range(1, 10)
        )
        self.assertEqual(len(buttons(self.pick("I287"))), 20)

    def test_it_answers_an_empty_list_for_an_empty_query(self) -> None:
        self.assertHTMLEqual(self.pick(""), '<div class="list-group"></div>')

    def test_it_says_when_nothing_matches(self) -> None:
        html = self.pick("火星")
        self.assertEqual(buttons(html), [])
        self.assertIn("No class matches.", html)

    def test_it_also_takes_the_form_fields_own_name(self) -> None:
        self.assertEqual(
            [b["code"] for b in buttons(self.pick("I287.5", "class_number"))], ["I287.5"]
        )


class CheckTests(ClcViewTestCase):
    def check(self, code: str) -> dict[str, Any]:
        r = self.client.get(reverse("catalog:clc_check"), {"code": code})
        self.assertEqual(r["Content-Type"], "application/json")
        result: dict[str, Any] = r.json()
        return result

    def test_it_confirms_a_class_of_the_table_with_its_breadcrumb(self) -> None:
        result = self.check("i287.5")
        self.assertEqual(
            {k: result[k] for k in ["valid", "message", "name", "code", "exact", "warning"]},
            {
                "valid": True,
                "message": "",
                "name": "故事",
                "code": "I287.5",
                "exact": True,
                "warning": "",
            },
        )
        self.assertEqual(
            result["breadcrumb"],
            [{"code": "I", "name": "文学"}, {"code": "I2", "name": "中国文学"},
             {"code": "I28", "name": "儿童文学"}, {"code": "I287", "name": "当代作品（1949年~）"},
             {"code": "I287.5", "name": "故事"}],
        )  # fmt: skip

    def test_it_names_the_nearest_class_of_a_number_with_auxiliaries(self) -> None:
        result = self.check("K825.6=74")
        self.assertTrue(result["valid"])
        self.assertFalse(result["exact"])
        self.assertEqual(result["name"], "文学")
        self.assertEqual(result["breadcrumb"][-1], {"code": "K825.6", "name": "文学"})
        self.assertEqual(result["warning"], "")

    def test_it_warns_about_a_number_deeper_than_the_table(self) -> None:
        result = self.check("I287.59")
        self.assertTrue(result["valid"])
        self.assertIn("最近的上位类是 I287.5 故事", result["warning"])

    def test_it_warns_about_an_alternative_class(self) -> None:
        result = self.check("I287.9")
        self.assertTrue(result["valid"])
        self.assertIn("交替类目", result["warning"])

    def test_it_refuses_with_a_chinese_reason_and_a_suggestion(self) -> None:
        result = self.check("I2875")
        self.assertFalse(result["valid"])
        self.assertIn("小数点位置不对", result["message"])
        self.assertEqual(result["suggestion"], "I287.5")
        self.assertEqual((result["name"], result["breadcrumb"]), ("", []))

    def test_it_refuses_main_classes_the_scheme_does_not_have(self) -> None:
        result = self.check("L12")
        self.assertFalse(result["valid"])
        self.assertIn("基本大类“L”不存在", result["message"])

    def test_it_refuses_an_empty_code(self) -> None:
        self.assertEqual(self.check("")["message"], "分类号为空")

    def test_it_answers_in_readable_utf8(self) -> None:
        r = self.client.get(CHECK, {"class_number": "I287.5"})
        self.assertIn("故事", r.content.decode())
