from django.urls import URLPattern

app_name = "overdue"

urlpatterns: list[URLPattern] = []
