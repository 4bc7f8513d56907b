from typing import Any

from django import template

from remit.portal.context import portal_reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_url(context: dict[str, Any], name: str, **kwargs: Any) -> str:
    """{% portal_url "signin" %}: a link to a portal page that works on either kind of address."""
    return portal_reverse(context["request"], name, **kwargs)
