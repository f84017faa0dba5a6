from django.urls import path

from shuxiang.catalog import import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.batch_list, name="list"),
    path("<int:pk>/", import_views.batch_detail, name="detail"),
]
