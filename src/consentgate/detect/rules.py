"""Harvest rules: thresholds over an app's windowed signals. Each rule that fires names its
evidence — the numbers, the window and the threshold — in a ``Finding``.

The rules, in the order they are checked (defaults in ``Thresholds``, which lives with
the settings in ``consentgate.settings.detect``; every one is a setting, see
docs/detection.md):

- ``id_enumeration``: distinct subject ids this app was never given, over the long window.
  An app only ever holds ids the gateway handed it; guessing or borrowing ids is probing.
- ``field_sweep``: asks for fields outside the app's approval (forbidden and unknown names
  included), over the long window. A real app asks for what it was approved for.
- ``purpose_switching``: requests refused for their purpose (undeclared, not consented,
  unknown) with more than one purpose tried, over the long window.
- ``refused_data_probing``: requests on the app's own subjects where something was refused
  for want of consent, both as a count and as a share of all requests (long window).
- ``reach_beyond_consent``: distinct subjects asked for, against the subjects consenting to
  the app (long window).
- ``bulk_rereading``: reads per distinct subject over the short window, above a floor of
  reads (a login read, a sync and a look at friends stay far below it).
- ``token_sources``: distinct client addresses using the app's tokens in the short window.
- ``burst``: a minute far above the app's own baseline, once it has one, spent re-reading
  the same subjects (a launch-day burst reads new users once each and does not fire).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consentgate.detect.signals import Count, Distinct, Signals
from consentgate.settings.detect import Thresholds

__all__ = ["Finding", "Thresholds", "evaluate"]


@dataclass(frozen=True)
class Finding:
    app_id: str
    rule: str
    window_seconds: int
    evidence: dict[str, Any]

    @property
    def explanation(self) -> str:
        text: str = self.evidence["explanation"]
        return text


def evaluate(
    app_id: str,
    signals: Signals,
    limits: Thresholds,
    *,
    at: float,
    consenting: Callable[[str], int],
) -> Finding | None:
    """The first rule that fires for this app at ``at``, or None. Counter rules run on every
    call; the distinct-count rules at most every ``evaluate_every_seconds``."""
    long = signals.long
    totals = long.totals

    def found(rule: str, window: int, explanation: str, **numbers: Any) -> Finding:
        evidence = {"explanation": explanation, "window_seconds": window, **numbers}
        return Finding(app_id=app_id, rule=rule, window_seconds=window, evidence=evidence)

    if totals[Count.UNRESOLVED] >= limits.enumeration_ids:
        ids = round(long.distinct(Distinct.UNRESOLVED_IDS))
        if ids >= limits.enumeration_ids:
            return found(
                "id_enumeration",
                long.seconds,
                f"asked for {ids} distinct subject ids it was never given within "
                f"{long.seconds} s (threshold {limits.enumeration_ids})",
                foreign_ids=ids,
                requests=totals[Count.REQUESTS],
                threshold=limits.enumeration_ids,
            )
    if totals[Count.OUT_OF_SCOPE] >= limits.out_of_scope_asks:
        fields = long.names("fields")
        return found(
            "field_sweep",
            long.seconds,
            f"asked {totals[Count.OUT_OF_SCOPE]} times for fields outside its approval "
            f"({', '.join(fields)}) within {long.seconds} s "
            f"(threshold {limits.out_of_scope_asks})",
            out_of_scope_asks=totals[Count.OUT_OF_SCOPE],
            fields=fields,
            requests=totals[Count.REQUESTS],
            threshold=limits.out_of_scope_asks,
        )
    purposes = (
        long.names("purposes") if totals[Count.PURPOSE_REFUSED] >= limits.purpose_refusals else []
    )
    if len(purposes) > 1:
        return found(
            "purpose_switching",
            long.seconds,
            f"{totals[Count.PURPOSE_REFUSED]} requests refused for their purpose, "
            f"{len(purposes)} purposes tried, within {long.seconds} s "
            f"(threshold {limits.purpose_refusals})",
            purpose_refusals=totals[Count.PURPOSE_REFUSED],
            purposes=purposes,
            requests=totals[Count.REQUESTS],
            threshold=limits.purpose_refusals,
        )
    refused, requests = totals[Count.REFUSED], totals[Count.REQUESTS]
    if refused >= limits.probe_requests and refused >= limits.probe_share * requests:
        return found(
            "refused_data_probing",
            long.seconds,
            f"{refused} of {requests} requests asked for data its subjects had not agreed to "
            f"within {long.seconds} s (threshold {limits.probe_requests} and "
            f"{limits.probe_share:.0%})",
            refused_requests=refused,
            requests=requests,
            threshold=limits.probe_requests,
            share_threshold=limits.probe_share,
        )
    if at - signals.last_evaluated < limits.evaluate_every_seconds:
        return None
    signals.last_evaluated = at
    return _distinct_rules(app_id, signals, limits, at, consenting, found)


def _distinct_rules(
    app_id: str,
    signals: Signals,
    limits: Thresholds,
    at: float,
    consenting: Callable[[str], int],
    found: Callable[..., Finding],
) -> Finding | None:
    long, short = signals.long, signals.short
    asked = long.totals[Count.TARGET_READS] + long.totals[Count.UNRESOLVED]
    if asked > limits.reach_margin:
        targets = round(long.distinct(Distinct.TARGETS))
        if targets > limits.reach_margin:
            agreed = consenting(app_id)
            if targets > limits.reach_factor * agreed + limits.reach_margin:
                return found(
                    "reach_beyond_consent",
                    long.seconds,
                    f"asked for {targets} distinct subjects within {long.seconds} s while "
                    f"{agreed} consent to it (threshold {limits.reach_factor} x consenting "
                    f"+ {limits.reach_margin})",
                    subjects_asked=targets,
                    consenting_subjects=agreed,
                    threshold=limits.reach_margin,
                    factor=limits.reach_factor,
                )
    reads = short.totals[Count.TARGET_READS]
    if reads >= limits.reread_min_reads:
        subjects = max(1, round(short.distinct(Distinct.TARGETS)))
        if reads / subjects > limits.reread_per_subject:
            return found(
                "bulk_rereading",
                short.seconds,
                f"{reads} reads of {subjects} distinct subjects within {short.seconds} s, "
                f"{reads / subjects:.1f} per subject (threshold {limits.reread_per_subject})",
                reads=reads,
                distinct_subjects=subjects,
                reads_per_subject=round(reads / subjects, 2),
                threshold=limits.reread_per_subject,
            )
    if short.totals[Count.REQUESTS] >= limits.sources:
        sources = round(short.distinct(Distinct.SOURCES))
        if sources >= limits.sources:
            return found(
                "token_sources",
                short.seconds,
                f"its tokens were used from {sources} network addresses within "
                f"{short.seconds} s (threshold {limits.sources})",
                sources=sources,
                requests=short.totals[Count.REQUESTS],
                threshold=limits.sources,
            )
    return _burst(signals, limits, at, found)


def _burst(
    signals: Signals, limits: Thresholds, at: float, found: Callable[..., Finding]
) -> Finding | None:
    """A minute far above the app's baseline (its long-window mean per bucket of the short
    window), once it has that much history, spent re-reading the same subjects."""
    short, long = signals.short, signals.long
    minute = short.current()
    in_minute = minute.counts[Count.REQUESTS]
    history = at - signals.first_seen
    if in_minute < limits.burst_min_requests or history < limits.burst_history_seconds:
        return None
    elapsed_buckets = min(history, long.seconds) / short.width
    baseline = (long.totals[Count.REQUESTS] - in_minute) / max(1.0, elapsed_buckets - 1)
    if in_minute < limits.burst_factor * max(baseline, 1.0):
        return None
    subjects = max(1.0, minute.distinct(Distinct.TARGETS))
    per_subject = minute.counts[Count.TARGET_READS] / subjects
    if per_subject < limits.burst_reads_per_subject:
        return None
    return found(
        "burst",
        short.width,
        f"{in_minute} requests in {short.width} s against a baseline of {baseline:.1f}, "
        f"{per_subject:.1f} reads per subject (threshold {limits.burst_factor} x baseline "
        f"and {limits.burst_reads_per_subject} per subject)",
        requests=in_minute,
        baseline=round(baseline, 2),
        reads_per_subject=round(per_subject, 2),
        threshold=limits.burst_factor,
    )
