"""Access control for the SCIM views: exactly `Authorization: Bearer <token>`, nothing else."""

import hmac

from django.conf import settings


def bearer_token(request):
    sent = request.headers.get("Authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {settings.SCIM_TOKEN}".encode())
