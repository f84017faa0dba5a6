from django.urls import path

from shuxiang.marc import export_views

app_name = "marc_export"

urlpatterns = [
    path("", export_views.export_form, name="form"),
    path("count/", export_views.count, name="count"),
]
