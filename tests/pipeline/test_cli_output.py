"""What a build prints is its summary: what the runs' steps print (dagster-dbt echoes every dbt log line) stays in
the runs' compute logs, which the UI shows; with --debug it reaches the terminal too. A check failing in many
partitions is one line."""

from __future__ import annotations

from dagster import DagsterInstance, job, op

from pipelines.cli import BuildReport, execute, print_summary

LINE = "12 of 311 START seed file standard.std_channel ......... [RUN]"


@op
def chatty() -> None:
    print(LINE)


@job
def chatty_job() -> None:
    chatty()


def test_what_steps_print_goes_to_the_compute_log_not_the_terminal(tmp_path, capfd):
    with DagsterInstance.local_temp(tempdir=str(tmp_path)) as instance:
        assert execute(chatty_job, {}, instance, {}).success
        assert LINE not in capfd.readouterr().out
        assert [log for log in tmp_path.rglob("compute_logs/*.out") if LINE in log.read_text(encoding="utf-8")]
        assert execute(chatty_job, {}, instance, {}, debug=True).success
        assert LINE in capfd.readouterr().out


def test_a_check_failing_in_many_partitions_is_one_line_of_the_summary(capsys):
    failed = [f"landing/a:gx_a [2026-03-0{day}] (WARN)" for day in (3, 1, 2)] + ["landing/a:delivery_freshness (ERROR)"]
    print_summary({"marts": [], "ledger": [], "quarantine": [], "serving": [], "unmatched": []},
                  BuildReport(checks_failed=failed))
    out = capsys.readouterr().out
    assert "Checks: 0 passed, 4 failed\n" in out
    assert "  failed: landing/a:gx_a (WARN) in 3 partitions [2026-03-01 .. 2026-03-03]\n" in out
    assert "  failed: landing/a:delivery_freshness (ERROR)\n" in out
