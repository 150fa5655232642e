from core.domain.plural import plural


def test_one_is_singular_and_every_other_count_plural():
    assert plural(1, "result") == "1 result"
    assert [plural(n, "result") for n in (0, 2, 1_200)] == ["0 results", "2 results", "1,200 results"]


def test_nouns_ending_in_a_hiss_take_es_and_irregular_ones_are_named():
    assert plural(2, "class") == "2 classes" and plural(3, "box") == "3 boxes" and plural(2, "match") == "2 matches"
    assert plural(2, "entry", "entries") == "2 entries" and plural(1, "entry", "entries") == "1 entry"
