"""Withdrawals (注销/剔旧): /staff/withdrawals/ — the scanning session and the register."""

from django.urls import path

from shuxiang.circulation import withdraw_views as views

app_name = "withdrawals"

urlpatterns = [
    path("", views.scan_page, name="scan"),
    path("withdraw/", views.scan, name="withdraw"),
    path("undo/", views.undo, name="undo"),
    path("register/", views.register, name="register"),
    path("register.xlsx", views.register_xlsx, name="register_xlsx"),
]
