from __future__ import annotations

from datetime import date

from shuxiang.accounts.models import User
from shuxiang.patrons.models import Patron, SchoolClass
from shuxiang.test import BaseTestCase

URL = "/staff/patrons/my-class/"


class MyClassViewTests(BaseTestCase):
    def test_it_takes_a_homeroom_teacher_straight_to_their_class(self) -> None:
        self.client.force_login(self.hana)
        r = self.client.get(URL)
        self.assertRedirects(r, f"/staff/patrons/classes/{self.class_5_2.pk}/")

    def test_it_lists_the_classes_of_a_teacher_with_several(self) -> None:
        second = SchoolClass.objects.create(grade=3, number=1, homeroom_teacher=self.hana_patron)
        past = SchoolClass.objects.create(
            grade=6, number=3, homeroom_teacher=self.hana_patron, graduated_on=date(2024, 7, 1)
        )
        self.client.force_login(self.hana)
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.context["current"], [second, self.class_5_2])
        self.assertEqual(r.context["past"], [past])
        self.assertContains(r, "六年级(3)班（2024届）")

    def test_it_says_kindly_when_the_teacher_has_no_class(self) -> None:
        olga = User.objects.create_user("olga", role=User.Role.HOMEROOM)
        Patron.objects.create(
            card_number="P0020", name="欧老师", type=Patron.Type.TEACHER, user=olga
        )
        self.client.force_login(olga)
        r = self.client.get(URL)
        self.assertContains(r, "您目前还不是任何班级的班主任")

    def test_it_is_for_homeroom_teachers_only(self) -> None:
        for user in (self.lena, self.tom, self.ada):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
        self.client.logout()
        self.assertRedirects(
            self.client.get(URL), f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )
