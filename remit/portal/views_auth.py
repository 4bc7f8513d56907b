"""Getting into the portal: the emailed links (sign up or sign in), sign-in with lockout, sign-out,
"send me a fresh link", and password reset. All of it scoped to the portal's biller."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.http import require_POST

from remit.customers.access import AccessError, portal_sign_up, set_portal_password
from remit.customers.links import AccessLinkError, make_access_token, read_access_token
from remit.customers.models import Customer, CustomerMembership
from remit.invoices.links import LinkError, read_token
from remit.invoices.models import Invoice
from remit.notifications.actions import email_send
from remit.portal.context import PortalRequest, portal_reverse, portal_view, safe_next
from remit.portal.forms import EmailForm, PortalSignInForm, SetPasswordForm, SignUpForm
from remit.portal.selectors import portal_member
from remit.portal.two_factor import second_step_needed, start_second_step
from remit.site.forms import add_action_error
from remit.users import throttle
from remit.users.models import User

PORTAL_BACKEND = "remit.users.backends.PortalBackend"


def audience(request: PortalRequest) -> str:
    return f"portal:{request.biller.pk}"


def sign_in_person(request: PortalRequest, user: User) -> None:
    login(request, user, backend=PORTAL_BACKEND)
    request.session.set_expiry(settings.REMIT_PORTAL_SESSION_SECONDS)
    throttle.clear(audience=audience(request), email=user.email)


def _signin_url(request: PortalRequest, next_url: str) -> str:
    return f"{portal_reverse(request, 'signin')}?{urlencode({'next': next_url})}"


@portal_view
def signin(request: PortalRequest) -> HttpResponse:
    """Sign in at the branded address, or from any invoice email ("Things to know")."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if portal_member(request, request.biller) is not None:
        return redirect(next_url)
    form = PortalSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, problem = throttle.authenticate_guarded(
            request,
            audience=audience(request),
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            accept=lambda user: CustomerMembership.objects.filter(user=user).exists(),
            biller=request.biller,
        )
        if user is None:
            form.add_error(None, problem)
        elif second_step_needed(user):
            start_second_step(request, user, next_url)
            return redirect(portal_reverse(request, "signin_code"))
        else:
            sign_in_person(request, user)
            return redirect(next_url)
    return render(request, "portal/signin.html", {"form": form, "next": next_url})


@require_POST
@portal_view
def signout(request: PortalRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect(portal_reverse(request, "signin"))


# --- The links in emails ----------------------------------------------------------------------


@portal_view
def pay_link(request: PortalRequest, token: str) -> HttpResponse:
    """Pay Invoice Electronically (step 1): sign up if the customer has no login yet, else sign in
    and see the invoice."""
    try:
        link = read_token(token)
    except LinkError as error:
        return _link_problem(request, str(error), expired=error.expired)
    invoice = (
        Invoice.objects.select_related("customer")
        .filter(pk=link.invoice_id, biller=request.biller, customer_id=link.customer_id)
        .first()
    )
    if link.biller_id != request.biller.pk or invoice is None:
        return _link_problem(request, "This link is not for this portal.", expired=False)
    invoice_url = portal_reverse(request, "invoice", invoice_id=invoice.pk)
    return _sign_up_or_in(request, invoice.customer, next_url=invoice_url, invoice=invoice)


@portal_view
def access_link(request: PortalRequest, token: str) -> HttpResponse:
    """The fresh link emailed by "Send me a new link": like an invoice link, for the account's home."""
    try:
        link = read_access_token(token)
    except AccessLinkError as error:
        return _link_problem(request, str(error), expired=error.expired)
    customer = Customer.objects.filter(pk=link.customer_id, biller=request.biller, archived_at__isnull=True).first()
    if link.biller_id != request.biller.pk or customer is None:
        return _link_problem(request, "This link is not for this portal.", expired=False)
    return _sign_up_or_in(request, customer, next_url=portal_reverse(request, "home"), invoice=None)


def _sign_up_or_in(
    request: PortalRequest, customer: Customer, *, next_url: str, invoice: Invoice | None
) -> HttpResponse:
    member = portal_member(request, request.biller)
    if member is not None and member.customer_id == customer.pk:
        return redirect(next_url)
    if customer.memberships.exists():
        messages.info(request, f"Sign in to see invoice {invoice.number}." if invoice else "Sign in to continue.")
        return redirect(_signin_url(request, next_url))
    form = SignUpForm(request.POST or None, emails=list(customer.billing_emails), biller=request.biller)
    if request.method == "POST" and form.is_valid():
        try:
            user = portal_sign_up(
                customer=customer,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                confirm=form.cleaned_data["password2"],
                account_type=form.cleaned_data["account_type"],
            )
        except AccessError as error:
            add_action_error(form, error)
        else:
            sign_in_person(request, user)
            messages.success(request, f"Welcome to {request.biller.name}'s payment portal.")
            return redirect(portal_reverse(request, "home"))
    return render(request, "portal/signup.html", {"form": form, "customer": customer, "invoice": invoice})


def _link_problem(request: PortalRequest, problem: str, *, expired: bool) -> HttpResponse:
    context = {"problem": problem, "form": EmailForm()}
    return render(request, "portal/link_problem.html", context, status=410 if expired else 404)


@require_POST
@portal_view
def fresh_link(request: PortalRequest) -> HttpResponse:
    """Email a new link to a billing address on file. The answer is the same whether or not the
    address is known, so nobody can learn who the biller's customers are."""
    form = EmailForm(request.POST)
    if not form.is_valid():
        return render(
            request, "portal/link_problem.html", {"problem": "Enter your email address.", "form": form}, status=400
        )
    email, ip = form.cleaned_data["email"].lower(), throttle.client_ip(request)
    scope = f"fresh-link:{request.biller.pk}"
    if throttle.locked(audience=scope, email=email, ip=ip) is None:
        throttle.record_failure(audience=scope, email=email, ip=ip)  # counts requests, to limit them
        for customer in Customer.objects.filter(
            biller=request.biller, archived_at__isnull=True, billing_emails__icontains=email
        ):
            if email in customer.billing_emails:
                token = make_access_token(customer, email=email)
                with transaction.atomic():  # the email is the whole change
                    email_send(
                        to=[email],
                        template="portal_access_link",
                        biller=request.biller,
                        context={"customer": customer, "link": request.biller.portal_url(f"access/{token}/")},
                    )
    return render(request, "portal/fresh_link_sent.html", {"email": email})


# --- Passwords -------------------------------------------------------------------------------


@portal_view
def password_forgot(request: PortalRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"].lower(), throttle.client_ip(request)
        scope = f"password-reset:{request.biller.pk}"
        user = User.objects.filter(biller=request.biller, email__iexact=email, is_active=True).first()
        if throttle.locked(audience=scope, email=email, ip=ip) is None:
            throttle.record_failure(audience=scope, email=email, ip=ip)
            if user is not None and CustomerMembership.objects.filter(user=user).exists():
                uid = urlsafe_base64_encode(force_bytes(user.pk))
                token = default_token_generator.make_token(user)
                with transaction.atomic():  # the email is the whole change
                    email_send(
                        to=[user.email],
                        template="portal_password_reset",
                        biller=request.biller,
                        context={"link": request.biller.portal_url(f"password/reset/{uid}/{token}/")},
                    )
        return render(request, "portal/password_sent.html", {"email": email})
    return render(request, "portal/password_forgot.html", {"form": form})


@portal_view
def password_reset(request: PortalRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uidb64))), biller=request.biller).first()
    except (ValueError, OverflowError):
        user = None
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        return render(request, "portal/password_link_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None, email=user.email, biller=request.biller)
    if request.method == "POST" and form.is_valid():
        try:
            set_portal_password(
                user=user, password=form.cleaned_data["password1"], confirm=form.cleaned_data["password2"]
            )
        except AccessError as error:
            add_action_error(form, error)
        else:
            throttle.clear(audience=audience(request), email=user.email)
            messages.success(request, "Your password was changed. Sign in with the new one.")
            return redirect(portal_reverse(request, "signin"))
    return render(request, "portal/password_reset.html", {"form": form, "email": user.email})
