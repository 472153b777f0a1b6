"""System checks: the repository-settings allow-list is written once, in services.SETTINGS_FIELDS."""

from django.core import checks


@checks.register()
def settings_serializer_matches_the_allow_list(app_configs=None, **kwargs):
    """The serializer validates each allowed setting's value, so it must declare exactly those fields."""
    from .serializers import RepositorySettingsSerializer
    from .services import SETTINGS_FIELDS

    declared, allowed = set(RepositorySettingsSerializer().fields), set(SETTINGS_FIELDS)
    if declared == allowed:
        return []
    return [
        checks.Error(
            "RepositorySettingsSerializer and SETTINGS_FIELDS disagree: "
            f"not declared {sorted(allowed - declared)}, not allowed {sorted(declared - allowed)}.",
            hint="Add or remove the field in githubfeatures/serializers.py to match githubfeatures/services.py.",
            id="githubfeatures.E001",
        )
    ]
