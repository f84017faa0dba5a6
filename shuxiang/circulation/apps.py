from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    name = "shuxiang.circulation"
    verbose_name = _("Circulation")

    def ready(self) -> None:
        # Not business logic: the checkout's cached settings must not outlive an edit.
        from shuxiang.circulation import config, models

        cached = [
            models.LoanRule,
            models.CirculationPolicy,
            models.CompensationRate,
            models.Term,
            models.ClosedDay,
            models.OpeningHours,
            models.LendingSlot,
        ]
        for model in cached:
            post_save.connect(config.invalidate, sender=model, dispatch_uid=f"cfg-s-{model}")
            post_delete.connect(config.invalidate, sender=model, dispatch_uid=f"cfg-d-{model}")
        m2m_changed.connect(
            config.invalidate, sender=models.LendingSlot.classes.through, dispatch_uid="cfg-m2m"
        )
