from django.urls import path

from remit.console import (
    views,
    views_ach,
    views_api_keys,
    views_authorizations,
    views_bank,
    views_controls,
    views_credits,
    views_customers,
    views_email,
    views_invoices,
    views_payments,
    views_recurring,
    views_reminders,
    views_retries,
    views_return_rates,
    views_statements,
    views_transfer,
    views_validation,
    views_webhooks,
)

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("signup/", views.signup, name="signup"),
    path("invitations/<str:token>", views.invitation_accept, name="invitation_accept"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/branding/", views.branding, name="branding"),
    path("<slug:slug>/portal-address/", views.portal_address, name="portal_address"),
    path("<slug:slug>/team/", views.team, name="team"),
    path("<slug:slug>/team/<int:membership_id>/remove", views.team_remove, name="team_remove"),
    path("<slug:slug>/invitations/<int:invitation_id>/revoke", views.invitation_revoke, name="invitation_revoke"),
    # Customers
    path("<slug:slug>/customers/", views_customers.customer_list, name="customers"),
    path("<slug:slug>/customers/new/", views_customers.customer_new, name="customer_new"),
    path("<slug:slug>/customers/opt-outs/", views_email.email_opt_outs, name="email_opt_outs"),
    path("<slug:slug>/customers/<int:customer_id>/", views_customers.customer_detail, name="customer"),
    path("<slug:slug>/customers/<int:customer_id>/edit/", views_customers.customer_edit, name="customer_edit"),
    path("<slug:slug>/customers/<int:customer_id>/archive", views_customers.customer_archive, name="customer_archive"),
    path(
        "<slug:slug>/customers/<int:customer_id>/statement/",
        views_statements.customer_statement,
        name="customer_statement",
    ),
    path(
        "<slug:slug>/customers/<int:customer_id>/monthly-statements",
        views_statements.customer_monthly_statements,
        name="customer_monthly_statements",
    ),
    path("<slug:slug>/customers/<int:customer_id>/credits/new/", views_credits.credit_new, name="credit_new"),
    path("<slug:slug>/credits/<int:credit_id>/pdf", views_credits.credit_pdf, name="credit_pdf"),
    # Invoices
    path("<slug:slug>/invoices/", views_invoices.invoice_list, name="invoices"),
    path("<slug:slug>/invoices/new/", views_invoices.invoice_new, name="invoice_new"),
    path("<slug:slug>/invoices/<int:invoice_id>/", views_invoices.invoice_detail, name="invoice"),
    path("<slug:slug>/invoices/<int:invoice_id>/edit/", views_invoices.invoice_edit, name="invoice_edit"),
    path("<slug:slug>/invoices/<int:invoice_id>/pdf", views_invoices.invoice_pdf_download, name="invoice_pdf"),
    path("<slug:slug>/invoices/<int:invoice_id>/send", views_invoices.invoice_send, name="invoice_send"),
    path("<slug:slug>/invoices/<int:invoice_id>/void", views_invoices.invoice_void, name="invoice_void"),
    path(
        "<slug:slug>/invoices/<int:invoice_id>/payments/new/",
        views_invoices.invoice_record_payment,
        name="invoice_record_payment",
    ),
    path("<slug:slug>/settings/invoicing/", views_invoices.invoice_settings, name="invoice_settings"),
    path("<slug:slug>/payments/", views_payments.payment_list, name="payments"),
    # Recurring invoices
    path("<slug:slug>/recurring/", views_recurring.recurring_list, name="recurring"),
    path("<slug:slug>/customers/<int:customer_id>/recurring/new/", views_recurring.recurring_new, name="recurring_new"),
    path("<slug:slug>/recurring/<int:template_id>/", views_recurring.recurring_detail, name="recurring_detail"),
    path("<slug:slug>/recurring/<int:template_id>/edit/", views_recurring.recurring_edit, name="recurring_edit"),
    path("<slug:slug>/recurring/<int:template_id>/status", views_recurring.recurring_status, name="recurring_status"),
    path("<slug:slug>/recurring/<int:template_id>/skip", views_recurring.recurring_skip, name="recurring_skip"),
    path(
        "<slug:slug>/recurring/issues/<int:issue_id>/send",
        views_recurring.recurring_issue_send,
        name="recurring_issue_send",
    ),
    path(
        "<slug:slug>/payments/<int:payment_id>/receipt.pdf", views_payments.payment_receipt_pdf, name="payment_receipt"
    ),
    # Payment controls and the Review queue
    path("<slug:slug>/settings/payments/", views_controls.payment_settings, name="payment_settings"),
    path("<slug:slug>/settings/payments/risk-rules/", views_controls.risk_rules, name="risk_rules"),
    path(
        "<slug:slug>/customers/<int:customer_id>/payment-settings/",
        views_controls.customer_payment_settings,
        name="customer_payment_settings",
    ),
    path("<slug:slug>/review/", views_controls.review, name="review"),
    path("<slug:slug>/review/<int:hold_id>/decide", views_controls.review_decide, name="review_decide"),
    # CSV in and out
    path("<slug:slug>/import/", views_transfer.import_file, name="import"),
    path("<slug:slug>/export/invoices.csv", views_transfer.export_invoices, name="export_invoices"),
    path("<slug:slug>/export/payments.csv", views_transfer.export_payments, name="export_payments"),
    # ACH authorizations
    path("<slug:slug>/authorizations/", views_authorizations.authorizations, name="authorizations"),
    path("<slug:slug>/authorizations.csv", views_authorizations.authorizations_export, name="authorizations_export"),
    path(
        "<slug:slug>/authorizations/validations/<int:validation_id>/unlock",
        views_authorizations.validation_unlock_view,
        name="validation_unlock",
    ),
    # ACH files, returns and settings
    path("<slug:slug>/settings/ach/", views_ach.ach_settings, name="ach_settings"),
    path("<slug:slug>/settings/retries/", views_retries.retry_settings, name="retry_settings"),
    path("<slug:slug>/settings/reminders/", views_reminders.reminder_settings, name="reminder_settings"),
    path("<slug:slug>/reminders/upcoming/", views_reminders.reminders_upcoming, name="reminders_upcoming"),
    path(
        "<slug:slug>/customers/<int:customer_id>/reminders",
        views_reminders.customer_reminders,
        name="customer_reminders",
    ),
    path(
        "<slug:slug>/invoices/<int:invoice_id>/reminders", views_reminders.invoice_reminders, name="invoice_reminders"
    ),
    path("<slug:slug>/settings/account-validation/", views_validation.account_validation, name="account_validation"),
    path("<slug:slug>/ach/", views_ach.ach_files, name="ach_files"),
    path("<slug:slug>/ach/files/<int:file_id>/download", views_ach.ach_file_download, name="ach_file_download"),
    path("<slug:slug>/ach/returns/upload/", views_ach.ach_returns_upload, name="ach_returns_upload"),
    path("<slug:slug>/ach/returns/<int:inbound_id>/", views_ach.ach_return_file, name="ach_return_file"),
    path("<slug:slug>/ach/return-rates/", views_return_rates.ach_return_rates, name="ach_return_rates"),
    path("<slug:slug>/ach/risk-review.csv", views_return_rates.ach_risk_review_csv, name="ach_risk_review_csv"),
    path("<slug:slug>/ach/risk-review.pdf", views_return_rates.ach_risk_review_pdf, name="ach_risk_review_pdf"),
    path("<slug:slug>/ach/reconciliation.csv", views_ach.ach_reconciliation, name="ach_reconciliation"),
    # The bank connection (SFTP)
    path("<slug:slug>/ach/bank/", views_bank.bank_connection, name="bank_connection"),
    path("<slug:slug>/ach/bank/key", views_bank.bank_key, name="bank_key"),
    path("<slug:slug>/ach/bank/host-key", views_bank.bank_host_key, name="bank_host_key"),
    path("<slug:slug>/ach/bank/test", views_bank.bank_test, name="bank_test"),
    path("<slug:slug>/ach/bank/files/<int:picked_up_id>/again", views_bank.bank_pickup_again, name="bank_pickup_again"),
    path(
        "<slug:slug>/ach/bank/deliveries/<int:file_delivery_id>/by-hand", views_bank.bank_by_hand, name="bank_by_hand"
    ),
    # API keys
    path("<slug:slug>/settings/api-keys/", views_api_keys.api_keys, name="api_keys"),
    path(
        "<slug:slug>/settings/api-keys/<int:key_id>/revoke",
        views_api_keys.api_key_revoke_view,
        name="api_key_revoke",
    ),
    # Webhooks
    path("<slug:slug>/settings/webhooks/", views_webhooks.webhooks, name="webhooks"),
    path("<slug:slug>/settings/webhooks/<int:endpoint_id>/", views_webhooks.webhook_endpoint, name="webhook_endpoint"),
    path(
        "<slug:slug>/settings/webhooks/<int:endpoint_id>/rotate",
        views_webhooks.webhook_endpoint_rotate,
        name="webhook_endpoint_rotate",
    ),
    path(
        "<slug:slug>/settings/webhooks/<int:endpoint_id>/active",
        views_webhooks.webhook_endpoint_active,
        name="webhook_endpoint_active",
    ),
    path(
        "<slug:slug>/settings/webhooks/<int:endpoint_id>/delete",
        views_webhooks.webhook_endpoint_delete_view,
        name="webhook_endpoint_delete",
    ),
    path(
        "<slug:slug>/settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend",
        views_webhooks.webhook_delivery_resend,
        name="webhook_delivery_resend",
    ),
]
