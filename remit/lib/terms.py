"""Payment terms: the names a biller picks and the days each gives from the issue date to the due date.

They sit in ``lib`` because both the biller's settings (its default terms) and invoices use them.
"""

# Payment terms → days from the issue date to the due date.
TERMS_DAYS = {"due_on_receipt": 0, "net_7": 7, "net_15": 15, "net_30": 30, "net_45": 45, "net_60": 60, "net_90": 90}
TERMS_LABELS = {
    "due_on_receipt": "Due on receipt",
    "net_7": "Net 7",
    "net_15": "Net 15",
    "net_30": "Net 30",
    "net_45": "Net 45",
    "net_60": "Net 60",
    "net_90": "Net 90",
}
