from django.urls import URLPattern

app_name = "rollover"

urlpatterns: list[URLPattern] = []
