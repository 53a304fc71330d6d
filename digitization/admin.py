from django.contrib import admin

from digitization.models import DigitizedFile


@admin.register(DigitizedFile)
class DigitizedFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    search_fields = ["sha256", "original_name"]
    readonly_fields = [
        "file",
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
