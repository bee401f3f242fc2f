"""The gateway (a service over the rooms): the protected read path. ``Gateway`` does each
read in one call — names checked, app-scoped id resolved, decided, watched for harvesting,
only allowed fields fetched, disclosures committed — and returns only committed results
(``SubjectRead``, ``FriendsRead``); the releasable bodies before the commit are private to
this package. Also the decision loader (``evaluate_access``), app-scoped ids and cursors
(``IdSealer``), the group-commit recorder, the harvest watch and the decision state in
memory (``DecisionCache``, ``hot.py``)."""

from consentgate.gateway.access import evaluate_access
from consentgate.gateway.hot import DecisionCache
from consentgate.gateway.read import MAX_FIELDS, Gateway
from consentgate.gateway.recorder import DisclosureRecorder, DisclosureRow, Recorder
from consentgate.gateway.results import FriendRead, FriendsRead, SubjectRead
from consentgate.gateway.scoped_ids import IdSealer
from consentgate.gateway.watch import Watch

__all__ = [
    "MAX_FIELDS",
    "DecisionCache",
    "DisclosureRecorder",
    "DisclosureRow",
    "FriendRead",
    "FriendsRead",
    "Gateway",
    "IdSealer",
    "Recorder",
    "SubjectRead",
    "Watch",
    "evaluate_access",
]
