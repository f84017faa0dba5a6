from django.urls import path

from shuxiang.marc import import_views

app_name = "marc_import"

urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("<int:pk>/", import_views.job, name="job"),
    path("<int:pk>/import/", import_views.start_import, name="import"),
    path("<int:pk>/cancel/", import_views.cancel, name="cancel"),
]
