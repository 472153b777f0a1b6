from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class DashboardConfig(AppConfig):
    default = True
    name = "dashboard"
    verbose_name = "Dashboard"


class ServiceAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose site leads with the staff dashboard (INSTALLED_APPS names this instead)."""

    default = False
    default_site = "dashboard.sites.ServiceAdminSite"
