from django.urls import path

from shuxiang.patrons import class_views

app_name = "patrons"

urlpatterns = [
    path("classes/", class_views.class_list, name="class_list"),
    path("classes/<int:pk>/", class_views.class_detail, name="class_detail"),
    path("classes/<int:pk>/edit/", class_views.class_edit, name="class_edit"),
    path("my-class/", class_views.my_class, name="my_class"),
]
