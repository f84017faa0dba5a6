from django.urls import path

from shuxiang.circulation import desk_views

app_name = "desk"

urlpatterns = [
    path("", desk_views.desk, name="desk"),
    path("scan/", desk_views.scan, name="scan"),
    path("close/", desk_views.close, name="close"),
    path("undo/", desk_views.undo, name="undo"),
    path("renew/", desk_views.renew, name="renew"),
    path("renew-all/", desk_views.renew_all, name="renew_all"),
    path("station/", desk_views.station, name="station"),
]
