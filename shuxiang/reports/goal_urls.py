"""Plan goals (学期计划目标): /staff/reports/goals/ — filled in by the goals pages."""

from django.urls import URLPattern

app_name = "goals"
urlpatterns: list[URLPattern] = []
