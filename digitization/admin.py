from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from digitization.models import DigitizedFile, SatisfactionRating
from procedures.admin_log import file_link


@admin.register(DigitizedFile)
class DigitizedFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    search_fields = ["sha256", "original_name"]
    readonly_fields = [
        "open_file",
        "sha256",
        "size",
        "content_type",
        "original_name",
        "uploaded_by",
        "uploaded_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def open_file(self, stored):
        """Through the view that checks the reader's scope, not the storage's URL."""
        return file_link(stored)


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    """Citizens' ratings: read only, they are the citizens' own words."""

    list_display = ["dossier", "rating", "complaint", "rated_at"]
    list_filter = ["rating", "complaint"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier"]
    readonly_fields = ["dossier", "rating", "complaint", "comment", "rated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
