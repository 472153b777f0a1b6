"""The admin site, led by the staff dashboard: its index page draws the charts above the app list."""

import time

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from . import selectors, services
from .windows import DEFAULT_WINDOW, WINDOWS, window_named


class ServiceAdminSite(admin.AdminSite):
    index_template = "admin/dashboard/index.html"

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        # Event volumes, errors, credentials and subscriptions: for staff who may see the events.
        if request.user.has_perm("webhooks.view_webhookevent"):
            window = window_named(request.GET.get("window", DEFAULT_WINDOW))
            event = request.GET.get("event", "")[:64]
            context.update(
                dashboard=selectors.dashboard(window, event=event),
                window=window,
                windows=WINDOWS,
                event=event,
                reprocess_at_once=services.REPROCESS_AT_ONCE,
            )
        return super().index(request, context)

    def get_urls(self):
        return [
            path("dashboard/reprocess-failed/", self.admin_view(self.reprocess_failed), name="reprocess_failed"),
            *super().get_urls(),
        ]

    @staticmethod
    @require_POST
    def reprocess_failed(request):
        """The dashboard's one-click reprocess: every failed event received in the window."""
        if not request.user.has_perm("webhooks.change_webhookevent"):
            raise PermissionDenied
        window = window_named(request.POST.get("window", DEFAULT_WINDOW))
        count = services.reprocess_failed(window, now=time.time())
        messages.success(
            request, f"{count} failed event(s) of the last {window.name}, newest first, queued for processing again."
        )
        return HttpResponseRedirect(f"{reverse('admin:index')}?window={window.name}")
