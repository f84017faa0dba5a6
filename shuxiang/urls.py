from django.urls import include, path
from django.views.i18n import set_language

from shuxiang.api.routes import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("shuxiang.accounts.urls")),
    path("staff/catalog/", include("shuxiang.catalog.urls")),
    path("staff/patrons/", include("shuxiang.patrons.urls")),
    path("staff/roster/", include("shuxiang.patrons.roster_urls")),
    path("staff/rollover/", include("shuxiang.patrons.rollover_urls")),
    path("staff/jobs/", include("shuxiang.jobs.urls")),
    path("staff/imports/", include("shuxiang.catalog.import_urls")),
    path("staff/marc/import/", include("shuxiang.marc.import_urls")),
    path("staff/marc/export/", include("shuxiang.marc.export_urls")),
    path("staff/ledger/", include("shuxiang.catalog.ledger_urls")),
    path("staff/labels/", include("shuxiang.catalog.label_urls")),
    path("staff/cards/", include("shuxiang.patrons.card_urls")),
    path("staff/notices/", include("shuxiang.circulation.notice_urls")),
    path("staff/reports/goals/", include("shuxiang.reports.goal_urls")),
    path("staff/reports/", include("shuxiang.reports.urls")),
    path("staff/withdrawals/", include("shuxiang.circulation.withdraw_urls")),
    path("desk/", include("shuxiang.circulation.desk_urls")),
    path("staff/circulation/", include("shuxiang.circulation.settings_urls")),
    path("staff/corners/", include("shuxiang.circulation.corner_urls")),
    path("staff/holds/", include("shuxiang.circulation.hold_urls")),
    path("staff/overdue/", include("shuxiang.circulation.overdue_urls")),
    path("", include("shuxiang.opac.urls")),
]
