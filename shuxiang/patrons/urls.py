from django.urls import path

from shuxiang.patrons import class_views, views

app_name = "patrons"

urlpatterns = [
    path("", views.patron_list, name="list"),
    path("new/", views.patron_new, name="new"),
    path("me/", views.me, name="me"),
    path("<int:pk>/", views.patron_detail, name="detail"),
    path("<int:pk>/edit/", views.patron_edit, name="edit"),
    path("<int:pk>/status/<slug:action>/", views.patron_status, name="status"),
    path("<int:pk>/card-lost/", views.patron_card_lost, name="card_lost"),
    path("<int:pk>/reissue/", views.patron_reissue, name="reissue"),
    path("<int:pk>/export.<slug:fmt>", views.patron_export, name="export"),
    path("<int:pk>/erase/", views.patron_erase, name="erase"),
    path("classes/", class_views.class_list, name="class_list"),
    path("classes/<int:pk>/", class_views.class_detail, name="class_detail"),
    path("classes/<int:pk>/edit/", class_views.class_edit, name="class_edit"),
    path("my-class/", class_views.my_class, name="my_class"),
]
