"""Withdrawals (注销/剔旧): /staff/withdrawals/ — filled in by the withdrawal pages."""

from django.urls import URLPattern

app_name = "withdrawals"
urlpatterns: list[URLPattern] = []
