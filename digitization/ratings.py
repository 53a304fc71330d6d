"""Citizens rating their dossier: once, after the result was returned."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitization.models import Satisfaction, SatisfactionRating
from procedures.errors import InvalidInput, TransitionNotAllowed
from procedures.models import Dossier, DossierState
from procedures.services import record_change


class RatingNotOpen(TransitionNotAllowed):
    code = "rating_not_open"
    default_message = _("A dossier can be rated once its result has been returned.")


class AlreadyRated(TransitionNotAllowed):
    code = "already_rated"
    default_message = _("This dossier has already been rated.")


def rate_dossier(
    *, dossier: Dossier, rating: str, complaint: bool = False, comment: str = "", at=None
) -> SatisfactionRating:
    """Record the citizen's rating. Moves the dossier's updated_at so the metrics pick it up."""
    if rating not in Satisfaction.values:
        raise InvalidInput(fields={"rating": [_("Unknown rating.")]})
    at = at or timezone.now()
    with transaction.atomic():
        current = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        if current.state != DossierState.COMPLETED:
            raise RatingNotOpen()
        if SatisfactionRating.objects.filter(dossier=current).exists():
            raise AlreadyRated()
        try:
            with transaction.atomic():
                rated = SatisfactionRating.objects.create(
                    dossier=current,
                    rating=rating,
                    complaint=complaint,
                    comment=(comment or "").strip()[:2000],
                    rated_at=at,
                )
        except IntegrityError as error:  # a concurrent rating won
            raise AlreadyRated() from error
        record_change(dossier_id=current.pk)
    return rated
