from django.urls import include, path

from shuxiang.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("clc/", include("shuxiang.catalog.clc_urls")),
]
