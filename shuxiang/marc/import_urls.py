from django.urls import URLPattern

app_name = "marc_import"
urlpatterns: list[URLPattern] = []  # filled in by the screens of issue 5
