from django.urls import include, path

from shuxiang.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("records/new/", views.record_new, name="record_new"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/edit/", views.record_edit, name="record_edit"),
    path("records/<int:pk>/items/", views.item_add, name="item_add"),
    path("shelf/", views.shelf_list, name="shelf_list"),
    path("clc/", include("shuxiang.catalog.clc_urls")),
]
