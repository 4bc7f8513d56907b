from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def home(request: HttpRequest) -> HttpResponse:
    """Remit's own front page leads billers to their console; payers arrive at a biller's address."""
    return redirect("console:home")
