from markupsafe import Markup

from felhom_hub.web.render import environment, inert


def test_control_and_bidi_characters_become_visible_escapes() -> None:
    assert inert("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert inert("a\x00b") == "a\\u0000b"
    assert inert("line\nnext\ttab") == "line\nnext\ttab"
    assert inert("plain ünïcode 東京") == "plain ünïcode 東京"
    assert inert(3) == 3


def test_markup_is_left_alone_and_text_is_escaped() -> None:
    assert inert(Markup("<b>")) == Markup("<b>")
    html = environment().from_string("{{ x }}").render(x="<script>alert(1)</script>\u202e")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;\\u202e"
