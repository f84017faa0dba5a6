from django.urls import path

from shuxiang.reports import report_views, views

app_name = "reports"
urlpatterns = [
    path("", report_views.dashboard, name="index"),
    path("term/", report_views.term_report, name="term"),
    path("term/report.<str:fmt>", report_views.term_download, name="term_download"),
    path("term/tables/<str:table>.xlsx", report_views.table_download, name="table_download"),
    path("class/", report_views.my_class_report, name="my_class"),
    path("class/<int:pk>/", report_views.class_report, name="class"),
    path("compliance/", views.compliance_view, name="compliance"),
    path("compliance/targets/", views.compliance_targets, name="compliance_targets"),
]
