from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarcConfig(AppConfig):
    name = "shuxiang.marc"
    verbose_name = _("MARC")
