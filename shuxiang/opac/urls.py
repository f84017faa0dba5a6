from django.urls import path

from shuxiang.opac import views

app_name = "opac"

urlpatterns = [
    path("", views.search, name="search"),
]
