"""Personal data: find it (detection) and act on it (operators), apart and joined by spans.

engine = PrivacyEngine.from_settings(settings)
engine.redact("My NI number is QQ 12 34 56 C").text  # "My NI number is <UK_NINO>"
"""

from __future__ import annotations

from civicdesk.privacy.engine import PrivacyEngine
from civicdesk.privacy.hooks import install
from civicdesk.privacy.spans import DetectedSpan, Redaction

__all__ = ["DetectedSpan", "PrivacyEngine", "Redaction", "install"]
