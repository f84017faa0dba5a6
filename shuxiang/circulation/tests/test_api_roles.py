"""Who may use the circulation endpoints: the desk roles for loans, returns and renewals."""

from __future__ import annotations

import time_machine
from django.utils import timezone

from shuxiang.accounts.models import ApiToken, User
from shuxiang.circulation.models import Loan
from shuxiang.circulation.tests.test_api_checkouts import NOON, CirculationApiTestCase

DESK_CALLS = (
    ("checkouts", {"patron": "P0002", "item": "T0001"}),
    ("renewals", {"item": "T0001"}),
    ("checkins", {"item": "T0001"}),
)


@time_machine.travel(NOON, tick=False)
class CirculationRoleTests(CirculationApiTestCase):
    def test_it_lets_the_librarian_and_the_assistant_work_the_desk(self) -> None:
        for user in (self.lena, self.ami):
            for path, body in DESK_CALLS:
                with self.subTest(user=user.username, path=path):
                    r = self.post(path, body, user)
                    self.assertIn(r.status_code, (200, 201), r.content)

    def test_it_refuses_every_other_role_and_changes_nothing(self) -> None:
        others = [self.hana, self.tom, self.ada]
        others += [User.objects.create_user(f"u-{r}", role=r) for r in ("viewer", "kiosk")]
        self.checkout("P0002", "T0002")
        for user in others:
            for path, body in [*DESK_CALLS, ("checkins", {"item": "T0002"})]:
                with self.subTest(user=user.username, path=path):
                    self.refused(self.post(path, body, user), 403, "forbidden")
        self.assertEqual(
            list(Loan.objects.values_list("item__barcode", "returned_at")), [("T0002", None)]
        )

    def test_it_refuses_an_inactive_user_or_a_revoked_token(self) -> None:
        revoked = self.auth(self.ami)
        ApiToken.objects.filter(user=self.ami).update(revoked_at=timezone.now())
        inactive = self.auth(self.lena)
        User.objects.filter(pk=self.lena.pk).update(is_active=False)
        for headers in (revoked, inactive):
            r = self.client.post(
                "/api/v1/checkouts",
                {"patron": "P0002", "item": "T0001"},
                content_type="application/json",
                headers=headers,
            )
            self.refused(r, 401, "unauthorized")
        self.assertFalse(Loan.objects.exists())

    def test_it_needs_a_token(self) -> None:
        for path, body in [*DESK_CALLS, ("holds", {"patron": "P0001", "record": 1})]:
            with self.subTest(path=path):
                r = self.client.post(f"/api/v1/{path}", body, content_type="application/json")
                self.refused(r, 401, "unauthorized")
        self.assertFalse(Loan.objects.exists())
