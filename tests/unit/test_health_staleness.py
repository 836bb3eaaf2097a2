"""/healthz and /livez of `slowburn serve` under an injected clock: one failed run is not a reason
to restart, a process with no successful run for `unhealthy_after` intervals is."""

import pytest

from detector.service.http_server import Health, LastRun
from detector.service.schedule import cron_interval

HOUR = 3600.0


def health_at(clock: list[float], stale_after: float | None = 3 * HOUR) -> Health:
    return Health(grace_seconds=600, stale_after=stale_after, monotonic=lambda: clock[0])


def ok(at: float) -> LastRun:
    return LastRun("OK", True, at, 5.0)


def failed(at: float) -> LastRun:
    return LastRun("SOURCE", False, at, 5.0)


def test_a_process_whose_last_success_is_just_inside_the_limit_is_healthy_and_alive():
    clock = [0.0]
    health = health_at(clock)
    health.record(ok(0))
    clock[0] = 3 * HOUR
    assert health.check()[0] == 200 and health.live()[0] == 200


def test_a_process_with_no_success_for_longer_than_the_limit_is_unhealthy_and_not_alive_with_the_reason():
    clock = [0.0]
    health = health_at(clock)
    health.record(ok(0))
    clock[0] = 3 * HOUR + 1
    code, body = health.check()
    assert code == 503 and body["status"] == "stale"
    assert "no run succeeded for 10801 s (limit 10800 s" in body["reason"] and "unhealthy_after" in body["reason"]
    assert health.live() == (503, body)


def test_a_wedged_run_makes_the_process_stale_although_the_last_finished_run_was_ok():
    clock = [0.0]
    health = health_at(clock)
    health.record(ok(0))  # then the next run never finishes: nothing more is recorded
    clock[0] = 10 * HOUR
    assert health.check()[0] == 503 and health.live()[0] == 503


def test_one_failed_run_is_not_ready_but_alive():
    clock = [0.0]
    health = health_at(clock)
    health.record(ok(0))
    clock[0] = HOUR
    health.record(failed(HOUR))
    code, body = health.check()
    assert code == 503 and body["status"] == "failing" and "evaluated no signal (status SOURCE)" in body["reason"]
    assert health.live() == (200, {"status": "alive"})


def test_failed_runs_since_start_make_the_process_stale_after_the_limit():
    clock = [0.0]
    health = health_at(clock)
    clock[0] = HOUR
    health.record(failed(HOUR))
    assert health.live()[0] == 200
    clock[0] = 3 * HOUR + 1
    health.record(failed(clock[0]))
    code, body = health.live()
    assert code == 503 and "since start" in body["reason"]


def test_a_success_after_staleness_makes_the_process_healthy_again():
    clock = [0.0]
    health = health_at(clock)
    clock[0] = 5 * HOUR
    assert health.live()[0] == 503
    health.record(ok(clock[0]))
    assert health.check()[0] == 200 and health.live()[0] == 200


def test_no_run_within_the_grace_is_not_alive():
    clock = [0.0]
    health = health_at(clock, stale_after=None)
    clock[0] = 599
    assert health.live()[0] == 200 and health.check()[0] == 200
    clock[0] = 600
    assert health.live()[0] == 503 and health.check()[1]["status"] == "no run finished"


def test_the_schedule_interval_is_the_longest_gap_between_runs():
    assert cron_interval("0 * * * *") == HOUR
    assert cron_interval("*/5 * * * *") == 300.0
    assert cron_interval("0 9,17 * * *") == 16 * HOUR


def schedule_config(tmp_path, schedule: str):
    from detector.configuration.schema import load_config

    path = tmp_path / "c.yaml"
    path.write_text(f"prometheus: {{url: 'http://prom:9090'}}\nschedule: {schedule}\nsignals: [{{name: up, query: up}}]\n")
    return load_config(path), str(path)


def test_a_run_deadline_just_shorter_than_the_interval_is_accepted(tmp_path):
    from detector.service.schedule import check_live_config, run_deadline

    config, path = schedule_config(tmp_path, "{cron: '*/5 * * * *', run_deadline: 299s}")
    check_live_config(config, path)
    assert run_deadline(config) == 299.0


def test_a_run_deadline_as_long_as_the_interval_is_a_config_error_naming_the_field(tmp_path):
    import pytest

    from detector.errors import ConfigError
    from detector.service.schedule import check_live_config

    config, path = schedule_config(tmp_path, "{cron: '*/5 * * * *', run_deadline: 300s}")
    with pytest.raises(ConfigError, match=r"schedule.run_deadline.*shorter than the schedule interval \(300 s\), got 300 s"):
        check_live_config(config, path)


@pytest.mark.parametrize("cron, expected", [("0 * * * *", 900.0), ("*/10 * * * *", 300.0)])
def test_the_default_run_deadline_is_15_minutes_or_half_a_short_interval(tmp_path, cron, expected):
    from detector.service.live import run_deadline

    config, _ = schedule_config(tmp_path, f"{{cron: '{cron}'}}")
    assert run_deadline(config) == expected
