from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.test import SimpleTestCase

from shuxiang.test import BaseTestCase

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def po_entries(text: str) -> list[tuple[str, str, list[str], bool]]:
    """(msgctxt, msgid, msgstrs, fuzzy) for every entry but the header."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        current = ""
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                fields[current][-1] += line[1:-1]
            else:
                key, _, value = line.partition(" ")
                current = key.split("[")[0]
                fields.setdefault(current, []).append(value[1:-1])
        if "msgid" in fields and fields["msgid"][0]:
            entries.append(
                (fields.get("msgctxt", [""])[0], fields["msgid"][0], fields["msgstr"], fuzzy)
            )
    return entries


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


class CatalogueOfMessagesTests(SimpleTestCase):
    def test_every_message_has_a_chinese_translation(self) -> None:
        entries = po_entries(PO.read_text(encoding="utf-8"))
        self.assertGreater(len(entries), 100)
        untranslated = [msgid for _, msgid, strs, _ in entries if not all(strs)]
        self.assertEqual(untranslated, [])
        fuzzy = [msgid for _, msgid, _, is_fuzzy in entries if is_fuzzy]
        self.assertEqual(fuzzy, [])

    def test_the_compiled_catalogue_matches_the_source(self) -> None:
        with PO.with_suffix(".mo").open("rb") as f:
            compiled = gettext.GNUTranslations(f)
        for context, msgid, strs, _ in po_entries(PO.read_text(encoding="utf-8")):
            if context:
                continue
            with self.subTest(msgid=msgid):
                got = compiled.gettext(_unescape(msgid))
                self.assertEqual(got, _unescape(strs[0]))


class ChinesePagesTests(BaseTestCase):
    def test_the_opac_speaks_chinese_by_default(self) -> None:
        r = self.client.get("/", {"q": "西游"})
        for label in ("查找图书", "登录", "在架 2 / 共 2 册", "找到 1 条"):
            self.assertContains(r, label)
        self.assertContains(r, '<html lang="zh-Hans">')
        for english in ("Find books", "Log in", "on shelf", "Search"):
            self.assertNotContains(r, english)

    def test_the_cataloguing_form_speaks_chinese(self) -> None:
        self.client.force_login(self.lena)
        r = self.client.get("/staff/catalog/records/new/")
        for label in ("题名", "责任者", "出版者", "分类号", "首批复本", "条码号", "编目"):
            self.assertContains(r, label)
        for english in ("Title", "Publisher", "Barcodes", "Catalogue"):
            self.assertNotContains(r, f">{english}")

    def test_an_english_browser_still_gets_chinese(self) -> None:
        r = self.client.get("/", {"q": "西游"}, HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(r, "查找图书")

    def test_english_is_there_for_who_chooses_it(self) -> None:
        r = self.client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        self.assertEqual(r.status_code, 302)
        r = self.client.get("/", {"q": "西游"})
        self.assertContains(r, "Find books")
        self.assertContains(r, '<html lang="en">')
