from django.urls import URLPattern

app_name = "patrons"

urlpatterns: list[URLPattern] = []
