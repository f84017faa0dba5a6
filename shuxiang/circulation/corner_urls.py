from django.urls import path

from shuxiang.circulation import corner_views as views
from shuxiang.circulation import visit_views

app_name = "corners"

urlpatterns = [
    path("", views.corner_list, name="list"),
    path("<int:pk>/", views.corner_detail, name="detail"),
    path("<int:pk>/lend/", views.corner_lend, name="lend"),
    path("<int:pk>/return/", views.corner_return, name="return"),
    path("<int:pk>/return-all/", views.corner_return_all, name="return_all"),
    path("<int:pk>/print/", views.corner_print, name="print"),
    path("reading-room/", views.room_list, name="room"),
    path("reading-room/<int:loan_pk>/check-in/", views.room_check_in, name="room_check_in"),
    path("reading-room/visits/", visit_views.visit_week, name="visits"),
]
