from django.urls import URLPattern

app_name = "roster"

urlpatterns: list[URLPattern] = []
