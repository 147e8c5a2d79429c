"""Rating the service: once per dossier, after its result was returned (Circular 01/2018 art. 13's
nine indicators, each 0, 1 or 2)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .. import statistics
from ..models import Rating
from ..services import ActionRefused
from ..workflow import Status

# --- Rating the service --------------------------------------------------------------------


_UNREAD = object()


def may_rate(dossier, rating=_UNREAD):
    """A dossier is rated once its result has been returned, and only once.

    `rating`: the dossier's Rating (or None) when the caller has already read it.
    """
    if dossier.status != Status.RETURNED:
        return False
    if rating is _UNREAD:
        return not Rating.objects.filter(dossier=dossier).exists()
    return rating is None


def rate(dossier, scores, comment="", channel=Rating.Channel.ACCOUNT):
    """Record the citizen's rating (`scores`: each indicator field → 0, 1 or 2); once only.

    Who may rate (the owner, or a browser with the lookup grant) is checked by the view.
    """
    if set(scores) != set(Rating.FIELDS) or any(scores[f] not in (0, 1, 2) for f in scores):
        raise ValueError("a rating scores each of the nine indicators 0, 1 or 2")
    if dossier.status != Status.RETURNED:
        raise ActionRefused(_("The service can be rated once the result has been returned."))
    if Rating.objects.filter(dossier=dossier).exists():
        raise ActionRefused(_("This dossier has already been rated. Thank you."))
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                dossier=dossier, comment=(comment or "").strip(), channel=channel, **scores
            )
            statistics.add_rating(rating)
            return rating
    except IntegrityError:  # rated meanwhile, from another tab or the other channel
        raise ActionRefused(_("This dossier has already been rated. Thank you.")) from None
