from django.urls import URLPattern

app_name = "corners"

urlpatterns: list[URLPattern] = []
