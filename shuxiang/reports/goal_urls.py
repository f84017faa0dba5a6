"""Plan goals (学期计划目标): /staff/reports/goals/."""

from django.urls import URLPattern, path

from shuxiang.reports import goal_views

app_name = "goals"
urlpatterns: list[URLPattern] = [
    path("", goal_views.goal_list, name="list"),
    path("add/", goal_views.goal_add, name="add"),
    path("quick-add/", goal_views.goal_quick_add, name="quick_add"),
    path("<int:pk>/edit/", goal_views.goal_edit, name="edit"),
    path("<int:pk>/delete/", goal_views.goal_delete, name="delete"),
    path("<int:pk>/up/", goal_views.goal_move, {"direction": "up"}, name="up"),
    path("<int:pk>/down/", goal_views.goal_move, {"direction": "down"}, name="down"),
]
