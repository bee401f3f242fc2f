"""Harvest detection: the switch and the rules' thresholds (``CONSENTGATE_DETECT``,
``CONSENTGATE_DETECT_*``; docs/detection.md explains each). ``Thresholds`` is where every
default is written; ``detect.rules`` evaluates against it and re-exports it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["DetectSettings", "Thresholds"]


@dataclass(frozen=True)
class Thresholds:
    short_window: tuple[int, int] = (60, 60)  # (bucket seconds, buckets): an hour
    long_window: tuple[int, int] = (3600, 24)  # a day
    enumeration_ids: int = 20
    out_of_scope_asks: int = 10
    purpose_refusals: int = 20
    probe_requests: int = 50
    probe_share: float = 0.25
    reach_factor: float = 1.5
    reach_margin: int = 50
    reread_per_subject: float = 10.0
    reread_min_reads: int = 1000
    sources: int = 16
    burst_factor: float = 20.0
    burst_min_requests: int = 600
    burst_history_seconds: int = 6 * 3600
    burst_reads_per_subject: float = 3.0
    evaluate_every_seconds: float = 1.0  # the distinct-count rules, per app


_T = Thresholds()
_SHORT_BUCKETS = _T.short_window[1]
_LONG_BUCKETS = _T.long_window[1]


class DetectSettings(CapabilitySettings):
    detect: bool = Field(default=True, description="Harvest detection (CONSENTGATE_DETECT).")
    redis_url: str | None = Field(
        default=None,
        description=(
            "Redis shared by every server process (CONSENTGATE_REDIS_URL, redis://host:port/db):"
            " the detector's windows live there; unset, each process keeps its own."
        ),
    )
    detect_short_window_seconds: int = Field(
        default=_T.short_window[0] * _SHORT_BUCKETS, ge=60, le=86_400, multiple_of=_SHORT_BUCKETS
    )
    detect_long_window_seconds: int = Field(
        default=_T.long_window[0] * _LONG_BUCKETS, ge=3600, le=7 * 86_400, multiple_of=_LONG_BUCKETS
    )
    detect_enumeration_ids: int = Field(default=_T.enumeration_ids, ge=1)
    detect_out_of_scope_asks: int = Field(default=_T.out_of_scope_asks, ge=1)
    detect_purpose_refusals: int = Field(default=_T.purpose_refusals, ge=1)
    detect_probe_requests: int = Field(default=_T.probe_requests, ge=1)
    detect_probe_share: float = Field(default=_T.probe_share, gt=0, le=1)
    detect_reach_factor: float = Field(default=_T.reach_factor, ge=1)
    detect_reach_margin: int = Field(default=_T.reach_margin, ge=0)
    detect_reread_per_subject: float = Field(default=_T.reread_per_subject, gt=1)
    detect_reread_min_reads: int = Field(default=_T.reread_min_reads, ge=1)
    detect_sources: int = Field(default=_T.sources, ge=2)
    detect_burst_factor: float = Field(default=_T.burst_factor, gt=1)
    detect_burst_min_requests: int = Field(default=_T.burst_min_requests, ge=1)

    def thresholds(self) -> Thresholds:
        """The harvest rules' thresholds from these settings."""
        return Thresholds(
            short_window=(self.detect_short_window_seconds // _SHORT_BUCKETS, _SHORT_BUCKETS),
            long_window=(self.detect_long_window_seconds // _LONG_BUCKETS, _LONG_BUCKETS),
            enumeration_ids=self.detect_enumeration_ids,
            out_of_scope_asks=self.detect_out_of_scope_asks,
            purpose_refusals=self.detect_purpose_refusals,
            probe_requests=self.detect_probe_requests,
            probe_share=self.detect_probe_share,
            reach_factor=self.detect_reach_factor,
            reach_margin=self.detect_reach_margin,
            reread_per_subject=self.detect_reread_per_subject,
            reread_min_reads=self.detect_reread_min_reads,
            sources=self.detect_sources,
            burst_factor=self.detect_burst_factor,
            burst_min_requests=self.detect_burst_min_requests,
        )
