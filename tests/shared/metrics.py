"""A process's /metrics as Prometheus reads it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def by_outcome(exposition: str) -> dict[tuple[str, str], float]:
    """(sample name, its outcome label or '') → value."""
    return {
        (sample.name, sample.labels.get("outcome", "")): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
