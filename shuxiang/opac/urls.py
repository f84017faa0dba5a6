from django.urls import path

from shuxiang.opac import views

app_name = "opac"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("records/<int:pk>/", views.record_page, name="record"),
]
