"""Third-party apps: registration, review, credentials, suspension."""

from consentgate.apps.registry import (
    App,
    AppRegistration,
    Developer,
    RegisteredApp,
    app_events_of,
    approve_app,
    authenticate_client,
    get_app,
    list_apps,
    load_app_view,
    register_app,
    reinstate_app,
    reject_app,
    suspend_app,
)

__all__ = [
    "App",
    "AppRegistration",
    "Developer",
    "RegisteredApp",
    "app_events_of",
    "approve_app",
    "authenticate_client",
    "get_app",
    "list_apps",
    "load_app_view",
    "register_app",
    "reinstate_app",
    "reject_app",
    "suspend_app",
]
