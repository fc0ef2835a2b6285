"""The remittance reader: every shape customers write document numbers in, with the words each came from,
and resolve(): written numbers to real invoice ids (normalised, near misses flagged)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arcollect.cashapp.remittance import (creditor_reference, invoice_numbers, is_near, near_keys, number_key, read,
                                          resolve)
from arcollect.cashapp.shapes import DocumentRef


def numbers(text: str, kind: str = "invoice") -> list[str]:
    return [c.number for c in read([text]).candidates if c.kind == kind and not c.alternative]


@pytest.mark.parametrize("text, expected", [
    ("INV-0100634", ["INV-0100634"]),
    ("Invoice INV-0100634", ["INV-0100634"]),
    ("Inv. 100634", ["100634"]),
    ("Rechnung 100634", ["100634"]),
    ("Rechnungsnr. 0100634", ["0100634"]),
    ("RE 100634 Danke", ["100634"]),
    ("facture n° 100634", ["100634"]),
    ("FACT 100634", ["100634"]),
    ("factura 100634", ["100634"]),
    ("Fra. 100634", ["100634"]),
    ("#100634", ["#100634"]),
    ("RE 2026/0012", ["2026/0012"]),
])
def test_invoice_numbers_are_read_with_or_without_prefix(text, expected):
    assert numbers(text) == expected


def test_each_candidate_keeps_the_words_it_came_from():
    [c] = read(["Zahlung Rechnungsnr. 0100634 danke"]).candidates
    assert c.evidence == "Rechnungsnr. 0100634" and c.strength == "labelled"


def test_leading_zeros_case_separators_and_prefix_normalise_to_one_key():
    assert number_key("INV-0100634") == number_key("inv 100634") == number_key("0100634") == "100634"


def test_a_range_names_every_number_in_it():
    assert numbers("Rechnungen 1001-1003") == ["1001", "1002", "1003"]
    assert numbers("invoices 1001 to 1003") == ["1001", "1002", "1003"]
    assert numbers("INV 1001 - 1003") == ["1001", "1002", "1003"]


def test_a_list_names_each_number():
    assert numbers("Inv 1001, 1002 & 1003") == ["1001", "1002", "1003"]


def test_amounts_next_to_numbers_are_what_the_payer_pays_on_them():
    cands = read(["INV 1001 500.00 / INV 1002 250,50"]).candidates
    assert [(c.number, c.amount) for c in cands] == [("1001", Decimal("500.00")), ("1002", Decimal("250.50"))]


def test_a_number_written_with_a_space_inside_is_also_read_joined():
    cands = read(["INV 0100 634"]).candidates
    assert any(c.number == "0100634" and c.alternative for c in cands)


def test_dates_and_amounts_are_not_document_numbers():
    assert numbers("Zahlung vom 23.11.2026 EUR 1.234,56") == []


@pytest.mark.parametrize("text, number", [("PO 4500012345", "4500012345"), ("P.O. 4500012345", "4500012345"),
                                          ("Bestellung 4711", "4711")])
def test_po_numbers(text, number):
    assert numbers(text, "po") == [number]


@pytest.mark.parametrize("text, number", [("Kd-Nr 12345", "12345"), ("customer no 777", "777"), ("Cust# C000123", "C000123")])
def test_customer_numbers(text, number):
    assert numbers(text, "customer") == [number]


def test_our_dunning_reference_names_the_customer():
    [c] = read(["Ref C000123-20261123"]).candidates
    assert (c.kind, c.number, c.strength) == ("dunning", "C000123", "structured")


def test_x12_rmr_segments_with_amounts():
    cands = read(["RMR*IV*INV1001*PI*1500.00~RMR*IV*INV1002*PI*20.00~"]).candidates
    assert [(c.kind, c.number, c.amount) for c in cands] == [("invoice", "INV1001", Decimal("1500.00")),
                                                             ("invoice", "INV1002", Decimal("20.00"))]


def test_structured_documents_and_creditor_references():
    ref = creditor_reference("100634")
    docs = (DocumentRef("invoice", "INV-0100634", Decimal("5.00"), "Strd[1]/RfrdDocInf/Nb"),
            DocumentRef("creditor_ref", ref, None, "CdtrRefInf/Ref"))
    cands = read([], docs).candidates
    assert [(c.number, c.amount, c.strength) for c in cands] == [("INV-0100634", Decimal("5.00"), "structured"),
                                                                 ("100634", None, "structured")]
    assert [c.number for c in read([f"Ref {ref} thanks"]).candidates] == ["100634"]
    assert read(["RF18 5390 0754 7034"]).candidates[0].number == "539007547034"  # the ISO 11649 example


@pytest.mark.parametrize("text", ["Teilzahlung RE 1001", "partial payment inv 1001", "acompte facture 1001"])
def test_partial_payments_named_as_such(text):
    rem = read([text])
    assert rem.partial and numbers(text) == ["1001"]


def test_resolve_matches_normalised_and_flags_near_misses():
    known = ["INV-0100634", "RE-2026-0012"]
    got = resolve(["inv 100634", "100643", "1006334", "2026/12", "999999"], known)
    assert [(r.invoice_id, r.how) for r in got["inv 100634"]] == [("INV-0100634", "normalised")]
    assert [(r.invoice_id, r.how) for r in got["100643"]] == [("INV-0100634", "near")]  # transposition
    assert [(r.invoice_id, r.how) for r in got["1006334"]] == [("INV-0100634", "near")]  # one digit too many
    assert [r.invoice_id for r in got["2026/12"]] == ["RE-2026-0012"]
    assert "999999" not in got
    assert resolve(["INV-0100634"], known)["INV-0100634"][0].how == "exact"


def test_near_relation_is_one_slip():
    assert is_near("100634", "100643") and is_near("100634", "100635") and is_near("100634", "10634")
    assert not is_near("100634", "100653")  # two digits off
    assert not is_near("100634", "101643")
    assert all(is_near("100634", k) for k in near_keys("100634"))


def test_inbound_mail_links_through_the_same_reader():
    assert invoice_numbers("Fwd: question about INV-200\nIs INV-200 right?") == {"INV-200"}
