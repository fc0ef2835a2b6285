"""The site has an icon: /favicon.ico is a real ICO (browsers ask for it on every page), the pages link the
SVG icon, and both are served without signing in."""

from __future__ import annotations

import re


def test_favicon_ico_and_the_linked_svg_icon_are_served(served):
    anonymous = served.browser()
    ico = anonymous.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
    login = anonymous.get("/login")
    link = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', login.text)
    assert link, "base.html links no icon"
    svg = anonymous.get(link.group(1))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    assert re.search(r'<link rel="icon"', served.browser("admin").get("/aging").text)
