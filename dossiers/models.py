"""The life of a dossier, and the working calendar its deadlines are counted on."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarException(models.Model):
    """A day the government announced differently from the `holidays` library.

    It wins over the library: an extra day off (is_working_day=False) or a Saturday worked as a
    make-up day (is_working_day=True). The government announces such swaps each year and the
    library lags, so the admin keeps them here.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a make-up working day. Not ticked: an extra day off."),
    )
    note = models.CharField(_("note"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self):
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%d/%m/%Y} — {kind}: {self.note}"
