from django.urls import path

from shuxiang.circulation import hold_views as views

app_name = "holds"

urlpatterns = [
    path("", views.hold_list, name="list"),
    path("<int:pk>/cancel/", views.hold_cancel, name="cancel"),
    path("expire/", views.hold_expire, name="expire"),
    path("shelf/print/", views.hold_shelf_print, name="shelf_print"),
]
