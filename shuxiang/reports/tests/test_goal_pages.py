"""The plan goals pages /staff/reports/goals/: the librarian writes, the principal reads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from shuxiang.accounts.models import AuditLog, User
from shuxiang.circulation.models import Loan, ReadingRoomVisit
from shuxiang.reports import goals
from shuxiang.reports.models import PlanGoal
from shuxiang.test import BaseTestCase

LIST = reverse("goals:list")
ADD = reverse("goals:add")
QUICK = reverse("goals:quick_add")
M = PlanGoal.Measure
AUTUMN = date(2026, 8, 1)  # the default calendar's autumn term: 2026-08-01 – 2027-01-31
SPRING = date(2027, 2, 1)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


@time_machine.travel(at(date(2026, 11, 4)), tick=False)
class GoalPagesTest(BaseTestCase):
    vera: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.vera = User.objects.create_user("vera", password="x", role=User.Role.VIEWER)

    def goal(
        self, text: str, measure: str, target: str, start: date = AUTUMN, position: int = 0
    ) -> PlanGoal:
        return PlanGoal.objects.create(
            term_start=start,
            term_end=date(start.year + (start.month == 8), 1 if start.month == 8 else 7, 31),
            text=text,
            measure=measure,
            target=Decimal(target),
            position=position,
        )

    def snapshot(self) -> list[tuple[str, str, Decimal, int]]:
        return list(PlanGoal.objects.values_list("text", "measure", "target", "position"))

    # ------------------------------------------------------------------------- reading

    def test_it_shows_the_terms_goals_with_a_clear_mark_to_the_viewer(self) -> None:
        self.goal("学生借阅覆盖率达到100%", M.COVERAGE, "100")
        self.goal("新增图书2册", M.NEW_ITEMS, "2", position=1)
        self.client.force_login(self.vera)
        response = self.client.get(LIST)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "学生借阅覆盖率达到100%")
        # Ada has not borrowed: 0 % coverage, behind the pace; the two copies came in before
        # the term (received_on empty): no new volumes, behind too.
        self.assertContains(response, 'data-status="behind"', count=2)
        self.assertContains(response, "落后")
        self.assertNotContains(response, 'id="goal-add"')
        self.assertNotContains(response, "添加常用目标")

    def test_it_marks_a_goal_met_and_one_on_pace(self) -> None:
        self.goal("学生借阅覆盖率达到100%", M.COVERAGE, "100")
        self.goal("学生人均借书20册", M.LOANS_PER_STUDENT, "20", position=1)
        item = self.journey.items.first()
        assert item is not None
        Loan.objects.create(
            item=item,
            patron=self.ada_patron,
            school_class=self.class_5_2,
            patron_type="student",
            checked_out_on=date(2026, 9, 10),
            checked_out_at=at(date(2026, 9, 10)),
            due_on=date(2026, 9, 24),
            returned_at=at(date(2026, 9, 20)),
        )
        self.client.force_login(self.vera)
        response = self.client.get(LIST)
        # Ada (the only pupil) borrowed once: coverage 100 %; one book of 20 is on pace only
        # in the first weeks, and this is November: behind.
        self.assertContains(response, 'data-status="met"', count=1)
        self.assertContains(response, "已达成")
        self.assertContains(response, 'data-status="behind"', count=1)
        self.client.force_login(self.lena)
        PlanGoal.objects.filter(measure=M.LOANS_PER_STUDENT).update(target=Decimal("1.5"))
        self.assertContains(self.client.get(LIST), "按进度")

    def test_it_names_teachers_behind_only_to_the_librarian(self) -> None:
        self.goal("教师每周进阅览室1次以上", M.TEACHER_ROOM_WEEKLY, "1")
        ReadingRoomVisit.objects.create(
            patron=self.tom_patron, patron_type="teacher", visited_on=date(2026, 9, 7)
        )
        self.client.force_login(self.lena)
        self.assertContains(self.client.get(LIST), "韩老师")
        self.client.force_login(self.vera)
        response = self.client.get(LIST)
        self.assertNotContains(response, "韩老师")
        self.assertNotContains(response, "唐老师")
        self.assertContains(response, "未达到目标的教师：2 人")

    def test_it_looks_back_at_another_term(self) -> None:
        self.goal("秋季目标", M.COVERAGE, "100")
        self.goal("春季目标", M.COVERAGE, "90", start=SPRING)
        self.client.force_login(self.vera)
        response = self.client.get(LIST, {"term": "2027-03-01"})
        self.assertContains(response, "春季目标")
        self.assertNotContains(response, "秋季目标")
        self.assertContains(response, '<option value="2027-02-01" selected>')

    def test_it_shows_this_term_when_the_term_asked_for_is_unreadable(self) -> None:
        self.goal("秋季目标", M.COVERAGE, "100")
        self.client.force_login(self.vera)
        self.assertContains(self.client.get(LIST, {"term": "下学期"}), "秋季目标")

    def test_it_draws_the_dashboard_partial_from_the_dashboard_context(self) -> None:
        self.goal("学生借阅覆盖率达到100%", M.COVERAGE, "100")
        html = render_to_string(
            "reports/_goals_progress.html", goals.dashboard_context(date(2026, 11, 4))
        )
        self.assertIn("学生借阅覆盖率达到100%", html)
        self.assertIn('data-status="behind"', html)
        self.assertIn(f'href="{LIST}"', html)

    # ------------------------------------------------------------------------- who may

    def test_it_refuses_homeroom_teachers_teachers_and_pupils(self) -> None:
        goal = self.goal("秋季目标", M.COVERAGE, "100")
        for user in [self.hana, self.tom, self.ada]:
            self.client.force_login(user)
            self.assertEqual(self.client.get(LIST).status_code, 403)
            post = {"term": "2026-11-04", "text": "x", "measure": M.COVERAGE, "target": "1"}
            self.assertEqual(self.client.post(ADD, post).status_code, 403)
            self.assertEqual(
                self.client.post(reverse("goals:delete", args=[goal.pk])).status_code, 403
            )
        self.assertEqual(PlanGoal.objects.count(), 1)

    def test_it_lets_the_viewer_read_but_not_write(self) -> None:
        goal = self.goal("秋季目标", M.COVERAGE, "100")
        self.client.force_login(self.vera)
        post = {"term": "2026-11-04", "text": "x", "measure": M.COVERAGE, "target": "1"}
        self.assertEqual(self.client.post(ADD, post).status_code, 403)
        self.assertEqual(self.client.post(QUICK, {"key": "loans"}).status_code, 403)
        self.assertEqual(self.client.get(reverse("goals:edit", args=[goal.pk])).status_code, 403)
        self.assertEqual(self.client.post(reverse("goals:up", args=[goal.pk])).status_code, 403)
        self.assertEqual(self.snapshot(), [("秋季目标", M.COVERAGE, Decimal(100), 0)])

    def test_it_sends_a_visitor_to_the_login_page(self) -> None:
        response = self.client.get(LIST)
        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])

    # ------------------------------------------------------------------------- writing

    def test_it_adds_a_goal_and_audits_it(self) -> None:
        self.client.force_login(self.lena)
        post = {
            "term": "2026-11-04",
            "text": " 学生人均借书2册以上 ",
            "measure": M.LOANS_PER_STUDENT,
        }
        response = self.client.post(ADD, {**post, "target": "2"})
        self.assertRedirects(response, f"{LIST}?term=2026-08-01")
        goal = PlanGoal.objects.get()
        self.assertEqual(
            (goal.text, goal.term_start, goal.term_end, goal.target, goal.created_by),
            ("学生人均借书2册以上", AUTUMN, date(2027, 1, 31), Decimal(2), self.lena),
        )
        log = AuditLog.objects.get(action="plan_goal.added")
        self.assertEqual((log.by, log.target_id), (self.lena, str(goal.pk)))
        self.assertEqual(log.detail["measure"], M.LOANS_PER_STUDENT)

    def test_it_adds_a_goal_to_the_term_being_looked_at(self) -> None:
        self.client.force_login(self.lena)
        post = {"term": "2027-02-01", "text": "春季目标", "measure": M.COVERAGE, "target": "95"}
        self.client.post(ADD, post)
        self.assertEqual(PlanGoal.objects.get().term_start, SPRING)

    def test_it_refuses_bad_input_in_chinese_and_changes_nothing(self) -> None:
        self.client.force_login(self.lena)
        cases = [
            ({"text": "覆盖率", "measure": M.COVERAGE, "target": "120"}, "目标值不能超过 100"),
            ({"text": "每班每周", "measure": M.CLASS_WEEKLY, "target": "0"}, "目标值为 0"),
            ({"text": "  ", "measure": M.COVERAGE, "target": "90"}, "请按计划原文填写目标"),
            ({"text": "人均", "measure": M.LOANS_PER_STUDENT, "target": "两册"}, "输入一个数字"),
            ({"text": "人均", "measure": M.LOANS_PER_STUDENT, "target": "-1"}, "大于或等于0"),
            ({"text": "人均", "measure": "loans_per_parent", "target": "2"}, "选择一个有效的选项"),
        ]
        for post, message in cases:
            response = self.client.post(ADD, {"term": "2026-11-04", **post})
            self.assertEqual(response.status_code, 400, post)
            self.assertContains(response, message, status_code=400)
        self.assertFalse(PlanGoal.objects.exists())
        self.assertFalse(AuditLog.objects.filter(action__startswith="plan_goal").exists())

    def test_it_adds_a_typical_goal_in_one_click(self) -> None:
        self.client.force_login(self.lena)
        self.assertContains(self.client.get(LIST), "+ 每班每周借阅一次")
        self.client.post(QUICK, {"term": "2026-11-04", "key": "class_weekly"})
        goal = PlanGoal.objects.get()
        self.assertEqual(
            (goal.text, goal.measure, goal.target), ("每班每周借阅一次", M.CLASS_WEEKLY, 100)
        )
        self.assertTrue(AuditLog.objects.filter(action="plan_goal.added").exists())
        # Once written, the button goes.
        self.assertNotContains(self.client.get(LIST), "+ 每班每周借阅一次")

    def test_it_refuses_an_unknown_typical_goal(self) -> None:
        self.client.force_login(self.lena)
        response = self.client.post(QUICK, {"term": "2026-11-04", "key": "nap"}, follow=True)
        self.assertContains(response, "没有这项常用目标")
        self.assertFalse(PlanGoal.objects.exists())

    def test_it_edits_a_goal_and_audits_the_fields_changed(self) -> None:
        goal = self.goal("学生人均借书2册", M.LOANS_PER_STUDENT, "2")
        url = reverse("goals:edit", args=[goal.pk])
        self.client.force_login(self.lena)
        self.assertContains(self.client.get(url), 'value="学生人均借书2册"')
        post = {"text": "学生人均借书3册", "measure": M.LOANS_PER_STUDENT, "target": "3"}
        self.assertRedirects(self.client.post(url, post), f"{LIST}?term=2026-08-01")
        goal.refresh_from_db()
        self.assertEqual((goal.text, goal.target), ("学生人均借书3册", Decimal(3)))
        log = AuditLog.objects.get(action="plan_goal.changed")
        self.assertEqual(log.detail["fields"], ["text", "target"])

    def test_it_keeps_a_goal_unchanged_when_the_edit_is_refused(self) -> None:
        goal = self.goal("覆盖率", M.COVERAGE, "100")
        self.client.force_login(self.lena)
        url = reverse("goals:edit", args=[goal.pk])
        response = self.client.post(url, {"text": "覆盖率", "measure": M.COVERAGE, "target": "150"})
        self.assertContains(response, "目标值不能超过 100", status_code=400)
        self.assertEqual(self.snapshot(), [("覆盖率", M.COVERAGE, Decimal(100), 0)])
        self.assertFalse(AuditLog.objects.filter(action="plan_goal.changed").exists())

    def test_it_deletes_a_goal_and_audits_it(self) -> None:
        goal = self.goal("覆盖率", M.COVERAGE, "100")
        self.client.force_login(self.lena)
        self.client.post(reverse("goals:delete", args=[goal.pk]))
        self.assertFalse(PlanGoal.objects.exists())
        log = AuditLog.objects.get(action="plan_goal.deleted")
        self.assertEqual(log.target_id, str(goal.pk))

    def test_it_moves_goals_up_and_down_in_the_plans_order(self) -> None:
        first = self.goal("一", M.COVERAGE, "100", position=0)
        second = self.goal("二", M.NEW_ITEMS, "10", position=1)
        third = self.goal("三", M.LOANS_PER_STUDENT, "2", position=2)
        self.goal("春季", M.COVERAGE, "100", start=SPRING, position=0)
        self.client.force_login(self.lena)
        self.client.post(reverse("goals:up", args=[third.pk]))
        order = PlanGoal.objects.filter(term_start=AUTUMN).values_list("text", flat=True)
        self.assertEqual(list(order), ["一", "三", "二"])
        self.client.post(reverse("goals:down", args=[first.pk]))
        self.assertEqual(list(order.all()), ["三", "一", "二"])
        # Already last: nothing moves, nothing is audited.
        self.client.post(reverse("goals:down", args=[second.pk]))
        self.assertEqual(list(order.all()), ["三", "一", "二"])
        self.assertEqual(AuditLog.objects.filter(action="plan_goal.moved").count(), 2)

    def test_it_answers_a_missing_goal_with_404(self) -> None:
        self.client.force_login(self.lena)
        self.assertEqual(self.client.post(reverse("goals:delete", args=[999])).status_code, 404)

    def test_it_pages_the_closed_week_out_of_the_weekly_goal(self) -> None:
        """A week the library was shut asks nothing of the classes (the page, end to end)."""
        from shuxiang.circulation.models import ClosedDay

        self.goal("每班每周借阅一次", M.CLASS_WEEKLY, "100")
        item = self.journey.items.first()
        assert item is not None
        # Ada's class borrowed in every week from 31 August except the week of 12 October,
        # when the library was shut.
        monday = date(2026, 8, 3)
        while monday < date(2026, 11, 2):
            if monday == date(2026, 10, 12):
                for n in range(5):
                    ClosedDay.objects.create(date=monday + timedelta(days=n))
            else:
                Loan.objects.create(
                    item=item,
                    patron=self.ada_patron,
                    school_class=self.class_5_2,
                    patron_type="student",
                    checked_out_on=monday,
                    checked_out_at=at(monday),
                    due_on=monday + timedelta(days=7),
                    returned_at=at(monday + timedelta(days=1)),
                )
            monday += timedelta(days=7)
        self.client.force_login(self.vera)
        response = self.client.get(LIST)
        self.assertContains(response, 'data-status="met"')
        self.assertContains(response, "1 / 1")
