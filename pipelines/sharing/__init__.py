"""Sharing with departments: the catalog (sharing/*.yaml), the HTTP service, export packages and the audit log."""
