"""The customer portal's pages. Mounted at /<slug>/ on Remit's host (remit/urls.py) and at / on a
biller's own domain (urls_domain.py); views learn their biller from ``remit.portal.context``."""

from django.urls import path

from remit.portal import (
    views,
    views_auth,
    views_autopay,
    views_bank,
    views_email,
    views_pay,
    views_people,
    views_retries,
    views_security,
    views_statements,
)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("pay-bills/", views_pay.pay_bills, name="pay_bills"),
    path("payments/", views_pay.payments, name="payments"),
    path("payments/<int:payment_id>/", views_pay.payment_detail, name="payment"),
    path("payments/<int:payment_id>/cancel", views_pay.payment_cancel_view, name="payment_cancel"),
    path("payments/<int:payment_id>/receipt.pdf", views_pay.payment_receipt_pdf, name="payment_receipt"),
    path("payments/retry-skip/<str:token>/", views_retries.retry_skip_link, name="retry_skip_link"),
    path("autopay/", views_autopay.autopay, name="autopay"),
    path("autopay/edit/", views_autopay.autopay_edit, name="autopay_edit"),
    path("autopay/payments/<int:payment_id>/skip", views_autopay.autopay_skip_view, name="autopay_skip"),
    path("autopay/skip/<str:token>/", views_autopay.autopay_skip_link, name="autopay_skip_link"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pdf", views.invoice_pdf_download, name="invoice_pdf"),
    path("statements/", views_statements.statements, name="statements"),
    path("statements/pdf", views_statements.statement_pdf_download, name="statement_pdf"),
    # Getting in
    path("signin/", views_auth.signin, name="signin"),
    path("signin/code/", views_security.signin_code, name="signin_code"),
    path("signout/", views_auth.signout, name="signout"),
    path("pay/<str:token>/", views_auth.pay_link, name="pay_link"),
    path("access/<str:token>/", views_auth.access_link, name="access_link"),
    path("new-link/", views_auth.fresh_link, name="fresh_link"),
    path("password/forgot/", views_auth.password_forgot, name="password_forgot"),
    path("password/reset/<str:uidb64>/<str:token>/", views_auth.password_reset, name="password_reset"),
    # The account
    path("people/", views_people.people, name="people"),
    path("people/<int:membership_id>/remove", views_people.person_remove, name="person_remove"),
    path("people/<int:membership_id>/role", views_people.person_role, name="person_role"),
    path("people/invitations/<int:invitation_id>/revoke", views_people.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views_people.invitation_accept, name="invitation_accept"),
    path("security/", views_security.security, name="security"),
    path("email-preferences/", views_email.email_preferences, name="email_preferences"),
    path("unsubscribe/<str:token>/", views_email.unsubscribe, name="unsubscribe"),
    path("bank-accounts/", views_bank.bank_accounts, name="bank_accounts"),
    path("bank-accounts/new/", views_bank.bank_account_new, name="bank_account_new"),
    path("bank-accounts/<int:bank_account_id>/remove/", views_bank.bank_account_remove, name="bank_account_remove"),
    path("bank-accounts/<int:bank_account_id>/verify/", views_bank.bank_account_verify, name="bank_account_verify"),
    path(
        "bank-accounts/<int:bank_account_id>/new-deposits/", views_bank.bank_account_resend, name="bank_account_resend"
    ),
    # Brand assets
    path("brand.css", views.brand_css, name="brand_css"),
    path("logo/<str:version>.png", views.logo, name="logo"),
]
