"""html_to_text: a readable plain-text rendition of an HTML email."""

from __future__ import annotations

from bot.rendering import html_to_text


def test_paragraphs_and_line_breaks_become_blank_lines_and_new_lines() -> None:
    assert html_to_text("<p>One<br>two</p><p>Three</p>") == "One\ntwo\n\nThree\n"


def test_head_styles_scripts_and_hidden_preheaders_are_dropped() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        '<div style="display: none">preview text</div><script>x()</script><p>Body</p>'
        "</body></html>"
    )
    assert html_to_text(html) == "Body\n"


def test_links_show_their_address_unless_it_is_already_the_text() -> None:
    html = (
        '<p><a href="https://contoso.com/a">the policy</a> and '
        '<a href="mailto:hr@contoso.com">hr@contoso.com</a> and '
        '<a href="https://contoso.com/b">https://contoso.com/b</a></p>'
    )
    assert html_to_text(html) == (
        "the policy (https://contoso.com/a) and hr@contoso.com and https://contoso.com/b\n"
    )


def test_lists_get_bullets_and_numbers() -> None:
    html = "<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul>"
    assert html_to_text(html) == "- one\n- two\n  1. a\n  2. b\n"


def test_table_cells_on_a_row_are_joined_and_empty_spacer_cells_ignored() -> None:
    html = (
        "<table><tr><td>&nbsp;</td><td>Starts</td><td>Thu 26 Nov</td></tr>"
        "<tr><td>Ends</td><td>Fri 27 Nov</td></tr></table>"
    )
    assert html_to_text(html) == "Starts | Thu 26 Nov\nEnds | Fri 27 Nov\n"


def test_entities_are_decoded_and_whitespace_collapsed() -> None:
    assert html_to_text("<p>  a &amp;\n\n   b &lt;c&gt;  </p>") == "a & b <c>\n"


def test_quotes_and_rules() -> None:
    assert html_to_text("<p>x</p><hr><blockquote><p>said</p></blockquote>") == (
        "x\n\n" + "-" * 40 + "\n\n> said\n"
    )


def test_broken_markup_still_gives_text() -> None:
    assert html_to_text("<p>open <b>bold <i>both</p>after") == "open bold both\n\nafter\n"
    assert html_to_text("") == ""
