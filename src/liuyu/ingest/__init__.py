"""Ingest: read any agency's delivery, standardize, validate, quarantine, report, version."""
