from django.urls import path

from shuxiang.patrons import roster_views

app_name = "roster"

urlpatterns = [
    path("", roster_views.upload, name="upload"),
    path("template.xlsx", roster_views.template, name="template"),
    path("<int:pk>/", roster_views.job, name="job"),
    path("<int:pk>/import/", roster_views.start_import, name="import"),
    path("<int:pk>/cancel/", roster_views.cancel, name="cancel"),
]
