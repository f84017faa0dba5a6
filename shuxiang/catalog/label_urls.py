from django.urls import path

from shuxiang.catalog import label_views

app_name = "labels"
urlpatterns = [
    path("", label_views.index, name="index"),
    path("test-page/", label_views.test_page, name="test_page"),
]
