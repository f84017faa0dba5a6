from __future__ import annotations

from shuxiang.accounts.models import User
from shuxiang.test import BaseTestCase


class LoginViewTests(BaseTestCase):
    def test_the_login_page_is_in_chinese(self) -> None:
        r = self.client.get("/accounts/login/")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "用户名")
        self.assertContains(r, "密码")
        self.assertContains(r, 'autocomplete="current-password"')

    def test_a_librarian_lands_on_cataloguing(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "lena", "password": "lena-pass-1"})
        self.assertRedirects(r, "/staff/catalog/")

    def test_a_student_or_teacher_lands_on_their_own_account(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "ada", "password": "ada-pass-1"})
        self.assertRedirects(r, "/staff/patrons/me/")
        self.client.logout()
        r = self.client.post("/accounts/login/", {"username": "tom", "password": "tom-pass-1"})
        self.assertRedirects(r, "/staff/patrons/me/")

    def test_a_student_assistant_lands_on_the_desk(self) -> None:
        User.objects.create_user("sam", password="sam-pass-12", role=User.Role.ASSISTANT)
        r = self.client.post("/accounts/login/", {"username": "sam", "password": "sam-pass-12"})
        self.assertRedirects(r, "/desk/")

    def test_a_homeroom_teacher_lands_on_their_class(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "hana", "password": "hana-pass-1"})
        self.assertRedirects(r, "/staff/patrons/my-class/", target_status_code=302)

    def test_a_viewer_lands_on_the_catalogue(self) -> None:
        User.objects.create_user("vic", password="vic-pass-12", role=User.Role.VIEWER)
        r = self.client.post("/accounts/login/", {"username": "vic", "password": "vic-pass-12"})
        self.assertRedirects(r, "/")

    def test_next_is_followed(self) -> None:
        r = self.client.post(
            "/accounts/login/",
            {"username": "lena", "password": "lena-pass-1", "next": "/staff/catalog/shelf/"},
        )
        self.assertRedirects(r, "/staff/catalog/shelf/")

    def test_a_wrong_password_is_explained(self) -> None:
        r = self.client.post("/accounts/login/", {"username": "lena", "password": "nope"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "用户名或密码不对")
        self.assertContains(r, 'value="lena"')

    def test_logout_is_a_post(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.get("/accounts/logout/").status_code, 405)
        r = self.client.post("/accounts/logout/")
        self.assertRedirects(r, "/")
        self.assertNotIn("_auth_user_id", self.client.session)
