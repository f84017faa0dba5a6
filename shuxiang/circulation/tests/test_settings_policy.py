from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from shuxiang.accounts.models import AuditLog, User
from shuxiang.catalog.models import Item
from shuxiang.circulation import config, services
from shuxiang.circulation.errors import OutsideSlot
from shuxiang.circulation.models import CirculationPolicy, CompensationRate, LendingSlot
from shuxiang.test import BaseTestCase

MONDAY_NOON = datetime(2026, 11, 23, 11, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
URL = "/staff/circulation/policy/"


def _policy_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "slot_mode": "warn",
        "overdue_block_days": "",
        "hold_expiry_days": 7,
        "undo_minutes": 10,
    }
    for value in Item.ItemType.values:
        data[f"factor_{value}"] = "1"
        data[f"minimum_{value}"] = "5"
    data.update(overrides)
    return data


@time_machine.travel(MONDAY_NOON, tick=False)
class PolicyPageTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.force_login(self.lena)

    def test_only_the_librarian_sets_the_policy(self) -> None:
        self.client.logout()
        self.assertEqual(self.client.get(URL).status_code, 302)
        assistant = User.objects.create_user(
            "xiao", password="x-pass-123", role=User.Role.ASSISTANT
        )
        for user in (self.ada, self.tom, self.hana, assistant):
            self.client.force_login(user)
            self.assertEqual(self.client.get(URL).status_code, 403)
            self.assertEqual(self.client.post(URL, _policy_post(slot_mode="off")).status_code, 403)
        self.assertEqual(CirculationPolicy.current().slot_mode, "warn")

    def test_it_shows_the_policy_and_the_rates(self) -> None:
        response = self.client.get(URL)
        self.assertContains(response, "流通规定与赔偿")
        self.assertContains(response, 'name="factor_reference" value="1.50"')
        self.assertContains(response, 'name="minimum_reference" value="10.00"')

    def test_it_saves_the_policy_and_logs_the_fields_changed(self) -> None:
        post = _policy_post(
            slot_mode="refuse", overdue_block_days="14", factor_reference="2", minimum_general="8"
        )
        response = self.client.post(URL, post)
        self.assertRedirects(response, URL)
        policy = CirculationPolicy.current()
        self.assertEqual((policy.slot_mode, policy.overdue_block_days), ("refuse", 14))
        rate = CompensationRate.objects.get(item_type="reference")
        self.assertEqual((rate.factor, rate.minimum), (Decimal("2"), Decimal("5")))
        entry = AuditLog.objects.get(action="circulation_policy.changed")
        self.assertIn("slot_mode", entry.detail["fields"])
        self.assertIn("overdue_block_days", entry.detail["fields"])
        self.assertIn("rate.reference", entry.detail["fields"])
        self.assertEqual(config.snapshot().rates["reference"], ("2.00", "5.00"))

    def test_empty_block_days_turn_the_block_off(self) -> None:
        CirculationPolicy.objects.filter(pk=1).update(overdue_block_days=3)
        self.client.post(URL, _policy_post(overdue_block_days=""))
        self.assertIsNone(CirculationPolicy.current().overdue_block_days)

    def test_it_refuses_bad_values_and_changes_nothing(self) -> None:
        response = self.client.post(
            URL, _policy_post(slot_mode="sometimes", hold_expiry_days=0, factor_general="-1")
        )
        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "is-invalid", status_code=422)
        self.assertEqual(response.content.decode().count("invalid-feedback"), 3)
        self.assertEqual(CirculationPolicy.current().hold_expiry_days, 7)
        self.assertEqual(CompensationRate.objects.get(item_type="general").factor, Decimal("1"))
        self.assertFalse(AuditLog.objects.filter(action="circulation_policy.changed").exists())

    def test_refusing_outside_the_slot_applies_at_the_desk_at_once(self) -> None:
        tuesday = LendingSlot.objects.get(weekday=1)
        tuesday.classes.add(self.class_5_2)
        channel = services.Channel(by=self.lena)
        warned = services.check_out(self.ada_patron, "T0001", channel)
        self.assertTrue(warned.warnings)
        self.client.post(URL, _policy_post(slot_mode="refuse"))
        with self.assertRaises(OutsideSlot):
            services.check_out(self.ada_patron, "T0002", channel)
