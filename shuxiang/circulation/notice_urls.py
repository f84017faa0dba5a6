from django.urls import path

from shuxiang.circulation import notice_views

app_name = "notices"
urlpatterns = [
    path("", notice_views.index, name="index"),
    path("school.pdf", notice_views.school_pdf, name="school_pdf"),
    path("class/<int:pk>.pdf", notice_views.class_pdf, name="class_pdf"),
]
