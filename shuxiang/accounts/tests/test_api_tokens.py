from __future__ import annotations

from io import StringIO

from django.core.management import CommandError, call_command

from shuxiang.accounts.models import ApiToken, AuditLog, User, hash_token
from shuxiang.test import BaseTestCase


def mint(username: str) -> str:
    out = StringIO()
    call_command("token", username, stdout=out)
    return out.getvalue().strip()


class ApiTokenTests(BaseTestCase):
    def get(self, token: str, path: str = "/api/v1/patrons/P0001") -> int:
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code

    def test_it_prints_a_new_token_that_works_at_once(self) -> None:
        raw = mint("lena")
        self.assertTrue(raw.startswith("sx_"))
        self.assertEqual(self.get(raw), 200)
        self.assertFalse(ApiToken.objects.filter(token_hash=raw).exists())

    def test_a_revoked_token_is_refused_and_the_others_keep_working(self) -> None:
        first, second = mint("lena"), mint("lena")
        out = StringIO()
        call_command("token", "lena", f"--revoke={first[3:11]}", stdout=out)
        self.assertIn("已吊销 1 个令牌", out.getvalue())
        self.assertEqual(self.get(first), 401)
        self.assertEqual(self.get(second), 200)
        entry = AuditLog.objects.get(action="token_revoked")
        self.assertEqual(
            (entry.target_id, entry.detail), (str(self.lena.pk), {"prefix": first[3:11]})
        )

    def test_a_whole_pasted_token_revokes_it_too(self) -> None:
        raw = mint("lena")
        call_command("token", "lena", f"--revoke={raw}", stdout=StringIO())
        self.assertEqual(self.get(raw), 401)

    def test_revoke_all_ends_every_token_of_the_user_only(self) -> None:
        mine, also_mine, hanas = mint("lena"), mint("lena"), mint("hana")
        call_command("token", "lena", "--revoke", "all", stdout=StringIO())
        self.assertEqual([self.get(mine), self.get(also_mine)], [401, 401])
        self.assertEqual(self.get(hanas), 200)

    def test_a_prefix_of_someone_elses_token_revokes_nothing(self) -> None:
        hanas = mint("hana")
        with self.assertRaisesMessage(CommandError, "没有前缀为"):
            call_command("token", "lena", f"--revoke={hanas[3:11]}", stdout=StringIO())
        self.assertEqual(self.get(hanas), 200)

    def test_the_list_shows_prefixes_and_state_never_the_token(self) -> None:
        raw = mint("lena")
        call_command("token", "lena", "--revoke", "all", stdout=StringIO())
        newer = mint("lena")
        out = StringIO()
        call_command("token", "lena", "--list", stdout=out)
        text = out.getvalue()
        self.assertIn(raw[3:11], text)
        self.assertIn("已吊销", text)
        self.assertIn("有效", text)
        self.assertNotIn(newer, text)

    def test_a_token_acts_with_its_users_role_only(self) -> None:
        # Ada (a student) may read her own card, not Tom's, and may not work the desk.
        raw = mint("ada")
        self.assertEqual(self.get(raw, "/api/v1/patrons/P0001"), 200)
        self.assertIn(self.get(raw, "/api/v1/patrons/P0002"), {403, 404})
        r = self.client.post(
            "/api/v1/checkins",
            {"item": "T0001"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw}"},
        )
        self.assertEqual(r.status_code, 403)

    def test_a_token_follows_its_user_when_the_role_changes_or_the_user_is_stopped(self) -> None:
        raw = mint("hana")
        self.assertEqual(self.get(raw, "/api/v1/classes"), 200)
        self.hana.role = User.Role.TEACHER
        self.hana.save()
        self.assertEqual(self.get(raw, "/api/v1/classes"), 403)
        self.hana.is_active = False
        self.hana.save()
        self.assertEqual(self.get(raw, "/api/v1/classes"), 401)

    def test_a_prefix_that_begins_with_a_dash_is_revoked_with_an_equals_sign(self) -> None:
        raw = "sx_-Ab3dEf9" + "x" * 35
        ApiToken.objects.create(user=self.lena, token_hash=hash_token(raw), prefix=raw[3:11])
        self.assertEqual(self.get(raw), 200)
        call_command("token", "lena", "--revoke=-Ab3dEf9", stdout=StringIO())
        self.assertEqual(self.get(raw), 401)
