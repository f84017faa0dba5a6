"""/staff/overdue/: overdue lists and notices, compensation (赔偿) and the repair register."""

from django.urls import path

from shuxiang.circulation import compensation_views as compensation
from shuxiang.circulation import overdue_views as views

app_name = "overdue"

urlpatterns = [
    path("", views.index, name="index"),
    path("school.xlsx", views.school_xlsx, name="school_xlsx"),
    path("school.pdf", views.school_pdf, name="school_pdf"),
    path("notices/", views.notices, name="notices_school"),
    path("notices/make/", views.make_notices, name="make_notices_school"),
    path("notices/printed/", views.mark_printed, name="printed_school"),
    path("classes/<int:pk>/", views.class_overdue, name="class"),
    path("classes/<int:pk>/overdue.xlsx", views.class_xlsx, name="class_xlsx"),
    path("classes/<int:pk>/overdue.pdf", views.class_pdf, name="class_pdf"),
    path("classes/<int:pk>/notices/", views.notices, name="notices"),
    path("classes/<int:pk>/notices/make/", views.make_notices, name="make_notices"),
    path("classes/<int:pk>/notices/printed/", views.mark_printed, name="printed"),
    path("compensation/", compensation.fine_list, name="fines"),
    path("compensation/<int:pk>/", compensation.fine_detail, name="fine"),
    path("compensation/lost/", compensation.mark_lost, name="lost"),
    path("compensation/damaged/", compensation.mark_damaged, name="damaged"),
    path("repairs/", compensation.repair_register, name="repairs"),
    path("repairs/<int:pk>/repaired/", compensation.mark_repaired, name="repaired"),
]
