from django.urls import path

from shuxiang.patrons import rollover_views

app_name = "rollover"

urlpatterns = [
    path("", rollover_views.preview, name="preview"),
    path("run/", rollover_views.run, name="run"),
    path("<int:pk>/", rollover_views.detail, name="detail"),
    path("<int:pk>/undo/", rollover_views.undo, name="undo"),
]
