from django.urls import URLPattern

app_name = "ledger"
urlpatterns: list[URLPattern] = []  # filled in by the screens of issue 5
