"""The prediction on the API's account read: `payment_outlook` (null until a model is trained) and the
factors of /predictions in plain words."""

from __future__ import annotations

from arcollect.risk import service as risk


def test_the_customer_read_carries_the_payment_outlook_once_a_model_is_trained(served):
    """Before training: payment_outlook is null (the rest of the read unchanged). After: each open invoice has
    its expected date, p_late and plain-word factors; /predictions' factors carry the same sentences."""
    cid = sorted(served.customers_of(served.collector))[0]
    before = served.client.get(f"/api/v1/customers/{cid}", headers=served.h(served.collector))
    assert before.status_code == 200 and before.json()["payment_outlook"] is None
    risk.train(served.ctx)
    got = served.client.get(f"/api/v1/customers/{cid}", headers=served.h(served.collector)).json()
    outlook = got["payment_outlook"]
    assert outlook["model"]["version"] == 1
    assert set(got) - {"payment_outlook"} == set(before.json()) - {"payment_outlook"}
    rows = served.client.get("/api/v1/predictions", params={"customer_id": cid},
                             headers=served.h(served.collector)).json()
    assert {r["invoice_id"] for r in rows} == set(outlook["invoices"])
    for r in rows:
        mine = outlook["invoices"][r["invoice_id"]]
        assert (mine["expected_date"], mine["p_late"]) == (r["expected_date"], r["p_late"])
        assert all(f["text"] and "_" not in f["text"] and f["effect"] for f in r["factors"])
    other = sorted(served.customers_of(served.other))[0]
    assert served.client.get(f"/api/v1/customers/{other}", headers=served.h(served.collector)).status_code in (403, 404)
