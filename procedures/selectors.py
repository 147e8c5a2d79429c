"""Read-side queries of the catalogue: each page costs a fixed number of queries."""

from django.db.models import Count, Prefetch, Q

from .models import Procedure, RequiredDocument, Sector
from .text import fold


def home_sectors():
    """Sectors with how many published procedures each has, for the home page."""
    return (
        Sector.objects.annotate(
            procedure_count=Count("procedures", filter=Q(procedures__is_active=True))
        )
        .filter(procedure_count__gt=0)
        .order_by("order", "name")
    )


def search_procedures(query="", sector=None):
    """Published procedures matching every word of `query`, ignoring case and diacritics."""
    procedures = Procedure.objects.filter(is_active=True).select_related("sector", "agency")
    for word in fold(query).split():
        procedures = procedures.filter(search_text__contains=word)
    if sector is not None:
        procedures = procedures.filter(sector=sector)
    return procedures


def procedure_detail(code):
    """One published procedure with its documents, in two queries."""
    return (
        Procedure.objects.filter(is_active=True, code=code)
        .select_related("sector", "agency")
        .prefetch_related(
            Prefetch("documents", queryset=RequiredDocument.objects.order_by("order", "id"))
        )
        .first()
    )
