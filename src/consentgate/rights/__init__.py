"""Data subjects' rights (a service over the rooms): erasure today — one transaction that
has each owner erase what links the person to their disclosures. Access, portability,
rectification, restriction and objection join it with issue 12."""

from consentgate.rights.erasure import ShredResult, shred_subject

__all__ = ["ShredResult", "shred_subject"]
