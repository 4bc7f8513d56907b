"""Compose branded emails: the biller's logo and name in the HTML and the plain-text part."""

from __future__ import annotations

from collections.abc import Sequence
from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string

from remit.lib.colors import text_color_on

LOGO_CID = "logo@remit"
DEFAULT_BRAND_COLOR = "#1d5c8d"


class BrandedEmail(EmailMultiAlternatives):
    """An email whose HTML part carries inline images (the logo), laid out as mail clients expect:
    multipart/alternative [text/plain, multipart/related [text/html, image/png]]."""

    def __init__(
        self, *args: Any, inline_images: Sequence[MIMEImage] = (), biller_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)
        self.remit_biller_id = biller_id  # read by the outbox, to file the email under its biller

    def _create_alternatives(self, msg: Any) -> Any:
        msg = super()._create_alternatives(msg)  # type: ignore[misc]
        if not self.inline_images or not self.alternatives:
            return msg
        parts = msg.get_payload()
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(parts[-1])
        for image in self.inline_images:
            related.attach(image)
        parts[-1] = related
        return msg


def sender_for(biller: Any) -> str:
    """The From header: the biller's name in front of Remit's own sending address."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return formataddr((biller.name, address)) if biller is not None else settings.DEFAULT_FROM_EMAIL


def compose(
    *, to: Sequence[str], template: str, context: dict[str, Any], biller: Any = None, reply_to: Sequence[str] = ()
) -> BrandedEmail:
    brand_color = biller.brand_color if biller is not None else DEFAULT_BRAND_COLOR
    context = {
        **context,
        "biller": biller,
        "logo_cid": LOGO_CID if biller is not None and biller.has_logo else "",
        "brand_color": brand_color,
        "button_ink": text_color_on(brand_color),
        "remit_base_url": settings.REMIT_BASE_URL,
    }
    subject = " ".join(render_to_string(f"emails/{template}/subject.txt", context).split())
    text = render_to_string(f"emails/{template}/body.txt", context)
    html = render_to_string(f"emails/{template}/body.html", context)
    images = []
    if context["logo_cid"]:
        logo = MIMEImage(bytes(biller.logo_png), "png")
        logo.add_header("Content-ID", f"<{LOGO_CID}>")
        logo.add_header("Content-Disposition", "inline", filename="logo.png")
        images.append(logo)
    message = BrandedEmail(
        subject=subject,
        body=text,
        from_email=sender_for(biller),
        to=list(to),
        reply_to=list(reply_to),
        inline_images=images,
        biller_id=biller.pk if biller is not None else None,
    )
    message.attach_alternative(html, "text/html")
    return message
