"""Data quality: Great Expectations suites (expectations/*.json) run on the warehouse, as Dagster asset checks."""

from pipelines.quality.gx_runner import ExpectationOutcome, SuiteOutcome, run_suite
from pipelines.quality.suites import load_suites, suites_for_asset

__all__ = ["ExpectationOutcome", "SuiteOutcome", "load_suites", "run_suite", "suites_for_asset"]
