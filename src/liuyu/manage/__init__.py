"""Daily management of the basin: the problem ledger, sewage facilities, compensation, warnings, gates."""
