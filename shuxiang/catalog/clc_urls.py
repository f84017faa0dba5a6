from django.urls import path

from shuxiang.catalog import clc_views

urlpatterns = [
    path("", clc_views.browse, name="clc_browse"),
    path("search", clc_views.search, name="clc_search"),
    path("pick", clc_views.pick, name="clc_pick"),
    path("check", clc_views.check, name="clc_check"),
    # Codes hold "/" (the range B31/39), so the class page takes the rest of the path.
    path("<path:code>/", clc_views.detail, name="clc_class"),
]
