"""Read-side queries of the catalogue: each page costs a fixed number of queries."""

from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.db.models.functions import Length, Substr

from .models import Procedure, RequiredDocument, Sector
from .text import NAME_OPENING, fold


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
    """Published procedures matching every word of `query`, ignoring case and diacritics, the
    best match first (`ranked`)."""
    procedures = Procedure.objects.filter(is_active=True).select_related("sector", "agency")
    for word in fold(query).split():
        procedures = procedures.filter(search_text__contains=word)
    if sector is not None:
        procedures = procedures.filter(sector=sector)
    return ranked(procedures, query)


def ranked(procedures, query):
    """`procedures` in the order of `text.match_rank`, computed by the database.

    `search_text` is the folded code, a space and the folded name, so the folded name is what
    follows the code (codes are ASCII: folding keeps their length). Without a query, the
    catalogue's own order stays.
    """
    words = fold(query)
    if not words:
        return procedures
    procedures = procedures.alias(folded_name=Substr("search_text", Length("code") + 2))
    procedures = procedures.alias(
        bare_name=Case(
            When(
                folded_name__startswith=NAME_OPENING,
                then=Substr("folded_name", len(NAME_OPENING) + 1),
            ),
            default="folded_name",
        )
    )
    procedures = procedures.alias(
        match_rank=Case(
            When(
                Q(code__iexact=words) | Q(folded_name=words) | Q(bare_name=words),
                then=Value(0),
            ),
            When(bare_name__startswith=words, then=Value(1)),
            When(folded_name__contains=words, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
        name_length=Length("name"),
    )
    return procedures.order_by("match_rank", "name_length", "name", "pk")


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
