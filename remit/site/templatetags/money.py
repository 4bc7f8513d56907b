from django import template

from remit.lib.money import format_cents

register = template.Library()


@register.filter
def money(cents: int | None) -> str:
    """{{ invoice.total_cents|money }} → $1,234.50"""
    return format_cents(cents)
