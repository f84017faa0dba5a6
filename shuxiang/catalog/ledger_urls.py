from django.urls import path

from shuxiang.catalog import ledger_views

app_name = "ledger"

urlpatterns = [
    path("", ledger_views.upload, name="upload"),
    path("template.xlsx", ledger_views.template, name="template"),
    path("export/", ledger_views.export, name="export"),
    path("<int:pk>/", ledger_views.job, name="job"),
    path("<int:pk>/import/", ledger_views.start_import, name="import"),
    path("<int:pk>/cancel/", ledger_views.cancel, name="cancel"),
]
