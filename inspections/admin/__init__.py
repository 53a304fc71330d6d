"""Admin screens: inspections (with sampling and the accountability report), sampled dossiers
with their checklists, and findings."""

from inspections.admin import findings, inspections  # noqa: F401  (registers the admins)
