from django.urls import URLPattern

app_name = "holds"

urlpatterns: list[URLPattern] = []
