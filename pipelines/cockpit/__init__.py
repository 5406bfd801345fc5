"""The cockpit (驾驶舱): a static HTML site built from the published snapshot, under settings.cockpit_dir()."""

from pipelines.cockpit.site import build_cockpit

__all__ = ["build_cockpit"]
