from django.urls import path

from shuxiang.patrons import card_views

app_name = "cards"
urlpatterns = [
    path("", card_views.index, name="index"),
]
