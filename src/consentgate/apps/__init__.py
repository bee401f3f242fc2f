"""Third-party apps (a room; tables ``apps`` and ``app_events``): registration, review,
credentials, suspension — the lifecycle in ``registry`` over an ``AppStore`` (``store``:
SQL and in memory)."""

from consentgate.apps.models import (
    App,
    AppEvent,
    AppRegistration,
    Developer,
    RegisteredApp,
    Sponsor,
)
from consentgate.apps.registry import (
    app_events_of,
    approve_app,
    authenticate_client,
    get_app,
    list_apps,
    register_app,
    reinstate_app,
    reject_app,
    rotate_client_secret,
    secret_version,
    suspend_app,
)
from consentgate.apps.store import AppStore, MemoryAppStore, SqlAppStore

__all__ = [
    "App",
    "AppEvent",
    "AppRegistration",
    "AppStore",
    "Developer",
    "MemoryAppStore",
    "RegisteredApp",
    "Sponsor",
    "SqlAppStore",
    "app_events_of",
    "approve_app",
    "authenticate_client",
    "get_app",
    "list_apps",
    "register_app",
    "reinstate_app",
    "reject_app",
    "rotate_client_secret",
    "secret_version",
    "suspend_app",
]
