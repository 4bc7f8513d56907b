"""The biller's webhook endpoints (Settings → Webhooks): owners add, change, disable, delete them,
rotate a signing secret and resend a delivery; staff may look. A signing secret is shown once, in
the answer to the request that made it, and never again.

The rules live in ``remit.webhooks.endpoints`` (and Resend in ``remit.webhooks.delivery``). Every
read is scoped to the biller in the URL: another biller's endpoint or delivery is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from remit.console.forms import EndpointForm
from remit.console.views import ConsoleRequest, console_view, page_query
from remit.site.forms import add_action_error
from remit.webhooks.delivery import webhook_resend
from remit.webhooks.endpoints import (
    NewSecret,
    WebhookError,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
    webhook_secret_rotate,
)
from remit.webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 50


def _endpoints(request: ConsoleRequest) -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.filter(biller=request.biller)
        .annotate(
            waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("created_at", "pk")
    )


def _endpoint(request: ConsoleRequest, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, biller=request.biller, pk=endpoint_id)


def _show_secret(request: ConsoleRequest, issued: NewSecret, *, rotated: bool) -> HttpResponse:
    response = render(request, "console/webhooks/secret.html", {"issued": issued, "rotated": rotated})
    response["Cache-Control"] = "no-store"  # the page holds the secret in clear
    return response


@console_view(owner_only=True)
def webhooks(request: ConsoleRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None, initial={"events": EventType.values})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = webhook_endpoint_create(
                biller=request.biller, actor=request.user, url=data["url"], events=data["events"]
            )
        except WebhookError as error:
            add_action_error(form, error)
        else:
            return _show_secret(request, issued, rotated=False)
    return render(request, "console/webhooks/list.html", {"form": form, "endpoints": list(_endpoints(request))})


@console_view(owner_only=True)
def webhook_endpoint(request: ConsoleRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    form = EndpointForm(request.POST or None, initial={"url": endpoint.url, "events": endpoint.events})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, url=data["url"], events=data["events"])
        except WebhookError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("console:webhook_endpoint", slug=request.biller.slug, endpoint_id=endpoint.pk)
    deliveries = (
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-created_at", "-pk")
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    expires = endpoint.previous_secret_expires_at
    context = {
        "endpoint": endpoint,
        "form": form,
        "page": page,
        "query": page_query(request),
        "rotation_until": expires if expires is not None and expires > timezone.now() else None,
    }
    return render(request, "console/webhooks/endpoint.html", context)


@console_view(owner_only=True)
@require_POST
def webhook_endpoint_rotate(request: ConsoleRequest, endpoint_id: int) -> HttpResponse:
    issued = webhook_secret_rotate(endpoint=_endpoint(request, endpoint_id), actor=request.user)
    return _show_secret(request, issued, rotated=True)


@console_view(owner_only=True)
@require_POST
def webhook_endpoint_active(request: ConsoleRequest, endpoint_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    endpoint = webhook_endpoint_set_active(endpoint=_endpoint(request, endpoint_id), actor=request.user, active=active)
    messages.success(request, "Endpoint enabled." if active else "Endpoint disabled: nothing more is sent to it.")
    return redirect("console:webhook_endpoint", slug=request.biller.slug, endpoint_id=endpoint.pk)


@console_view(owner_only=True)
@require_POST
def webhook_endpoint_delete_view(request: ConsoleRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    return redirect("console:webhooks", slug=request.biller.slug)


@console_view(owner_only=True)
@require_POST
def webhook_delivery_resend(request: ConsoleRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = get_object_or_404(WebhookDelivery, endpoint=endpoint, pk=delivery_id)
    try:
        webhook_resend(delivery=delivery, actor=request.user)
    except WebhookError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Delivery {delivery.pk} will be sent again now. Reload to see how it went.")
    return redirect("console:webhook_endpoint", slug=request.biller.slug, endpoint_id=endpoint.pk)
