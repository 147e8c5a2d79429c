from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self):
        from . import workcache
        from .calendar.store import calendar_exception_changed
        from .models import CalendarException

        # Work queues and statistics kept in the cache know when their dossiers change.
        workcache.connect_signals()

        # A saved or deleted exception invalidates the cached working calendars, in every process.
        post_save.connect(
            calendar_exception_changed,
            sender=CalendarException,
            dispatch_uid="dossiers.calendar_exception_saved",
        )
        post_delete.connect(
            calendar_exception_changed,
            sender=CalendarException,
            dispatch_uid="dossiers.calendar_exception_deleted",
        )
