"""The peer to beat (issue #19 Benchmark): a plain pandas script that ages a CSV export of the ledger.

    python benchmarks/peer_pandas.py DIR AS_OF > aging.json

DIR holds the export benchmarks/peer.py writes (customers.csv, invoices.csv, payments.csv, credit_notes.csv,
applications.csv); prints the aging by customer as of AS_OF (due-date basis, buckets current, 1-30, 31-60, 61-90,
90+, unapplied cash and credits) as JSON rows of the arcollect shape. What an analyst would write: floats rounded
to the cent at the end — it is the yardstick, not arcollect's money code.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BUCKETS = ["current", "1-30", "31-60", "61-90", "90+"]


def main() -> None:
    folder, as_of = Path(sys.argv[1]), pd.Timestamp(sys.argv[2])
    ids = {"customer_id": str, "invoice_id": str, "document_id": str, "currency": str}
    customers = pd.read_csv(folder / "customers.csv", dtype=ids, keep_default_na=False)
    invoices = pd.read_csv(folder / "invoices.csv", dtype=ids, parse_dates=["issue_date", "due_date"])
    payments = pd.read_csv(folder / "payments.csv", dtype=ids, parse_dates=["date"])
    credits = pd.read_csv(folder / "credit_notes.csv", dtype=ids, parse_dates=["date"])
    applications = pd.read_csv(folder / "applications.csv", dtype=ids, parse_dates=["applied_on"])

    applications = applications[applications["applied_on"] <= as_of]
    invoices = invoices[invoices["issue_date"] <= as_of]
    applied = applications.groupby("invoice_id")["amount"].sum()
    invoices = invoices.assign(open=invoices["amount"] - invoices["invoice_id"].map(applied).fillna(0.0))
    invoices = invoices[invoices["open"].round(2) != 0]
    days = (as_of - invoices["due_date"]).dt.days
    invoices = invoices.assign(bucket=pd.cut(days, [-np.inf, 0, 30, 60, 90, np.inf], labels=BUCKETS))
    table = invoices.pivot_table(index=["customer_id", "currency"], columns="bucket", values="open",
                                 aggfunc="sum", fill_value=0.0, observed=False)
    table = table.reindex(columns=BUCKETS, fill_value=0.0)
    table.columns = list(BUCKETS)

    def unapplied(documents: pd.DataFrame, kind: str) -> pd.Series:
        documents = documents[documents["date"] <= as_of]
        used = applications[applications["kind"] == kind].groupby("document_id")["amount"].sum()
        left = documents["amount"] - documents["document_id"].map(used).fillna(0.0)
        documents = documents.assign(left=left)
        documents = documents[(documents["left"].round(2) != 0) & (documents["customer_id"].notna())]
        return documents.groupby(["customer_id", "currency"])["left"].sum()

    table = table.join(unapplied(payments, "payment").rename("unapplied_cash"), how="outer")
    table = table.join(unapplied(credits, "credit").rename("unapplied_credits"), how="outer").fillna(0.0)
    table["total"] = table[BUCKETS].sum(axis=1)
    table["net_balance"] = table["total"] - table["unapplied_cash"] - table["unapplied_credits"]
    table = table.reset_index().merge(customers[["customer_id", "name"]], on="customer_id", how="left")
    table = table.sort_values(["customer_id", "currency"])
    money = [*BUCKETS, "total", "unapplied_cash", "unapplied_credits", "net_balance"]
    for column in money:
        table[column] = table[column].round(2).map("{:.2f}".format)
    rows = table.rename(columns={"customer_id": "key"})[["key", "name", "currency", *money]]
    json.dump({"as_of": as_of.date().isoformat(), "basis": "due", "buckets": BUCKETS,
               "rows": rows.to_dict(orient="records")}, sys.stdout)


if __name__ == "__main__":
    main()
