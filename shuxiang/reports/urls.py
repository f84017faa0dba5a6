from django.urls import path

from shuxiang.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("compliance/", views.compliance_view, name="compliance"),
    path("compliance/targets/", views.compliance_targets, name="compliance_targets"),
]
