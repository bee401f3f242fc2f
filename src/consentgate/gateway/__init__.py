"""The protected read path (the decision over live state for now; HTTP comes with the
read-path issue)."""

from consentgate.gateway.access import evaluate_access

__all__ = ["evaluate_access"]
