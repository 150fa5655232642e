"""Class chips escape what label files and users name classes: shown, never run."""

from __future__ import annotations

from dashboard.class_chips import FALLBACK_COLOR, class_chips_html


def test_names_are_escaped_and_only_hex_colours_pass():
    chips = class_chips_html([("<img src=x onerror=alert(1)>", "#12AB34"), ("car & truck", "red;background:url(x)")])
    assert "<img" not in chips and "&lt;img src=x onerror=alert(1)&gt;" in chips
    assert "car &amp; truck" in chips
    assert "border:2px solid #12AB34;" in chips and f"border:2px solid {FALLBACK_COLOR};" in chips
    assert "url(x)" not in chips
