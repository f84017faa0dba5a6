from django.urls import path

from shuxiang.opac import views

app_name = "opac"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("records/<int:pk>/", views.record_page, name="record"),
    path("records/<int:pk>/hold/", views.place_hold, name="place_hold"),
    path("my/holds/<int:pk>/cancel/", views.cancel_hold, name="cancel_hold"),
]
