"""QR codes for pages: an SVG data: URI, which the Content-Security-Policy allows as an image
(an inline SVG element would need inline styles)."""

import segno


def qr_data_uri(text: str, scale: int = 5) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=scale, border=4)
