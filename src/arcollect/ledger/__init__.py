"""The AR ledger: customers, contacts, invoices, credit notes, payments, applications, write-offs."""
