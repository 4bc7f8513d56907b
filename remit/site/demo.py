"""Demo data for `remit demo` (run by `make run`): Acme Supply Co. and its console owner.

Idempotent: what exists is left exactly as it is, so running it again changes nothing — not even a
password the demo owner has changed since. Later issues add customers and invoices here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from remit.billers import actions as biller_actions
from remit.billers.models import Biller
from remit.lib.images import normalize_logo
from remit.users.models import User

DEMO_PASSWORD = "remit-demo-2026"
ACME_NAME = "Acme Supply Co."
ACME_SLUG = "acme-supply"
ACME_OWNER = "owner@acme-supply.example"
ACME_COLOR = "#c2410c"


@dataclass(frozen=True)
class DemoLogin:
    where: str
    email: str
    password: str


DEMO_LOGINS = [DemoLogin("Console (Acme Supply Co.)", ACME_OWNER, DEMO_PASSWORD)]


def acme_logo_png() -> bytes:
    """A simple wordmark drawn with Pillow: an orange rounded square with a white "A", then the name."""
    image = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 170, 170), radius=30, fill=ACME_COLOR)
    draw.polygon([(90, 38), (146, 150), (120, 150), (90, 86), (60, 150), (34, 150)], fill="white")
    draw.rectangle((68, 112, 112, 128), fill="white")
    draw.text(
        (196, 12), "ACME", font=ImageFont.load_default(size=92), fill="#1f2937", stroke_width=3, stroke_fill="#1f2937"
    )
    draw.text(
        (200, 112),
        "SUPPLY CO.",
        font=ImageFont.load_default(size=50),
        fill=ACME_COLOR,
        stroke_width=1,
        stroke_fill=ACME_COLOR,
    )
    buffer = io.BytesIO()
    image.crop(image.getbbox()).save(buffer, format="PNG")
    return buffer.getvalue()


@transaction.atomic
def load_demo() -> list[str]:
    """Create what is missing; return one line per thing created (empty when all was there)."""
    created: list[str] = []
    acme = Biller.objects.filter(slug=ACME_SLUG).first()
    if acme is None:
        if User.objects.console().filter(email__iexact=ACME_OWNER).exists():
            raise RuntimeError(f"{ACME_OWNER} exists but the {ACME_SLUG} biller does not; remove the user first.")
        acme, owner = biller_actions.biller_sign_up(
            business_name=ACME_NAME, owner_name="Alex Acme", email=ACME_OWNER, password=DEMO_PASSWORD
        )
        if acme.slug != ACME_SLUG:
            acme = biller_actions.biller_change_slug(biller=acme, actor=owner, slug=ACME_SLUG)
        biller_actions.biller_update_branding(
            biller=acme, actor=owner, brand_color=ACME_COLOR, logo=normalize_logo(acme_logo_png(), "acme-logo.png")
        )
        created.append(f"biller {ACME_NAME} at /{ACME_SLUG}/ with its console owner {ACME_OWNER}")
    return created
