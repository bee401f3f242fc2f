"""The gateway (a service over the rooms): the protected read path — app-scoped ids, the
decision loader, harvest watch, write-ahead recording."""

from consentgate.gateway.access import evaluate_access

__all__ = ["evaluate_access"]
