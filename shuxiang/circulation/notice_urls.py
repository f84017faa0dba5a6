from django.urls import URLPattern

app_name = "notices"
urlpatterns: list[URLPattern] = []  # filled in by the screens of issue 5
