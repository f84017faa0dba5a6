from django.urls import URLPattern

app_name = "circ_settings"

urlpatterns: list[URLPattern] = []
