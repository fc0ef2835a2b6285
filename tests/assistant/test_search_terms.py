"""The search box's input made safe (pure): words and phrases only, query strings of quoted words, snippets
escaped with the words marked."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arcollect.assistant import search_terms as T


def test_fts_syntax_becomes_plain_words():
    q = T.parse('NEAR("credit policy" x) OR acme* -foo col:bar ^baz')
    assert q.terms == (("credit", "policy"), ("near",), ("x",), ("or",), ("acme",), ("foo",), ("col",), ("bar",), ("baz",))
    assert T.fts5_match(q) == '"credit policy"* "near"* "x" "or"* "acme"* "foo"* "col"* "bar"* "baz"*'
    assert T.pg_tsquery(q).startswith("('credit' <-> 'policy':*) & 'near':* & 'x' & ")


def test_accents_case_and_punctuation_fold_like_the_indexes():
    assert T.parse("Müller INV-1042 ap@acme.example").terms == (("muller",), ("inv",), ("1042",), ("ap",),
                                                                  ("acme",), ("example",))
    assert T.parse("INV-1042").ids == ("INV-1042",)


@given(st.text(max_size=200))
def test_query_strings_hold_only_quoted_letters_and_digits(typed):
    q = T.parse(typed)
    assert len(q.terms) <= T.MAX_TERMS
    for t in q.terms:
        for w in t:
            assert w and all(c.isalnum() for c in w) and '"' not in w and "'" not in w


def test_a_snippet_is_escaped_and_marks_whole_words_from_their_start():
    q = T.parse("pine")
    out = T.highlight("<img src=x onerror=alert(1)> the pineapple & spine", q)
    assert out == "&lt;img src=x onerror=alert(1)&gt; the <mark>pineapple</mark> &amp; spine"


def test_a_long_text_is_cut_around_the_first_match():
    text = "filler " * 200 + "the promised date is Friday " + "tail " * 200
    out = T.highlight(text, T.parse("promised"))
    assert out.startswith("…") and out.endswith("…") and "<mark>promised</mark>" in out and len(out) < 300
