"""Cash application (#9): bank files in (formats/), remittances read (remittance.py), payments matched
(matcher.py) and applied in the ledger (service.py). The shapes every part agrees on are in shapes.py."""
