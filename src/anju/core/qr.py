"""QR codes drawn on the server as inline SVG, so a page shows one with no script, no image
service and no network (segno: BSD, pure Python, ISO/IEC 18004).

The same payload always gives the same drawing (segno picks the mask deterministically), so a
page can be compared and cached. Error correction is at least M (15% of the code may be soiled
or folded and still read); segno raises it when that costs no extra size.
"""
from __future__ import annotations

from html import escape

import segno

from anju.core.errors import ValidationError

MAX_PAYLOAD = 1200  # characters; a signed permit payload is ~300, beyond this phones misread


def svg(payload: str, *, label: str, scale: int = 4, border: int = 4) -> str:
    """`payload` as an inline <svg> (role="img", `label` read out by screen readers); quiet zone
    of `border` modules, each module `scale` pixels."""
    if not payload or len(payload) > MAX_PAYLOAD:
        raise ValidationError("qr_payload", f"二维码内容应为 1–{MAX_PAYLOAD} 个字符",
                              f"a QR code holds 1-{MAX_PAYLOAD} characters", field="payload")
    code = segno.make_qr(payload, error="m")
    drawing = code.svg_inline(scale=scale, border=border, dark="#000", light="#fff",
                              svgclass="qr", lineclass=None)
    return drawing.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
