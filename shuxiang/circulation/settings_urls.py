from django.urls import path

from shuxiang.circulation import settings_views as views

app_name = "circ_settings"

urlpatterns = [
    path("", views.index, name="index"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/check/", views.rule_check, name="rule_check"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/terms/new/", views.term_new, name="term_new"),
    path("calendar/terms/<int:pk>/", views.term_edit, name="term_edit"),
    path("calendar/terms/<int:pk>/delete/", views.term_delete, name="term_delete"),
    path("calendar/closed/new/", views.closed_new, name="closed_new"),
    path("calendar/closed/delete/", views.closed_delete, name="closed_delete"),
    path("calendar/hours/", views.hours_save, name="hours"),
    path("policy/", views.policy, name="policy"),
    path("rotation/", views.rotation_view, name="rotation"),
    path("rotation/slots/new/", views.slot_new, name="slot_new"),
    path("rotation/slots/<int:pk>/", views.slot_edit, name="slot_edit"),
    path("rotation/slots/<int:pk>/delete/", views.slot_delete, name="slot_delete"),
    path("rotation/generate/", views.rotation_generate, name="rotation_generate"),
    path("rotation/move/", views.rotation_move, name="rotation_move"),
    path("rotation/week/", views.rotation_week, name="rotation_week"),
]
