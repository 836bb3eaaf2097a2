"""The schedule of the live path: the cron line, its longest interval, the run deadline and the
alert TTL derived from it, and the checks a live config needs beyond its schema.

No heavy imports (APScheduler only inside ``cron_trigger``): a bad cron line or deadline is a config
error in well under a second.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from detector.configuration.preflight import require_prometheus
from detector.configuration.schema import Config
from detector.core.instants import HOUR
from detector.errors import ConfigError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

MIN_TTL = HOUR
DEFAULT_RUN_DEADLINE = 900.0


def check_live_config(config: Config, config_path: str) -> CronTrigger:
    """What the live path needs beyond the schema: a Prometheus and a valid cron line (its trigger)."""
    require_prometheus(config, config_path)
    trigger = cron_trigger(config.schedule.cron, location=f"{config_path}: schedule.cron")
    interval = cron_interval(config.schedule.cron)
    if config.schedule.run_deadline is not None and config.schedule.run_deadline >= interval:
        raise ConfigError(
            f"expected a run deadline shorter than the schedule interval ({interval:g} s), got {config.schedule.run_deadline:g} s: "
            "runs would overlap",
            location=f"{config_path}: schedule.run_deadline",
        )
    return trigger


def run_deadline(config: Config) -> float:
    """``schedule.run_deadline``, else 15 min but at most half the schedule interval."""
    if config.schedule.run_deadline is not None:
        return config.schedule.run_deadline
    return min(DEFAULT_RUN_DEADLINE, cron_interval(config.schedule.cron) / 2)


def resend_ttl(cron: str) -> float:
    """Seconds an alert must stay alive: 3 x the longest gap between runs of ``cron``, at least 1 h."""
    return max(3 * cron_interval(cron), MIN_TTL)


def cron_interval(cron: str) -> float:
    """The longest gap in seconds between two runs of ``cron`` (over its first 64 runs from 2024)."""
    trigger = cron_trigger(cron)
    fire = datetime(2024, 1, 1, tzinfo=timezone.utc)
    previous = None
    longest = 0.0
    for _ in range(64):  # enough to see a week of an hourly schedule's irregularities
        nxt = trigger.get_next_fire_time(previous, fire)
        if nxt is None:
            break
        if previous is not None:
            longest = max(longest, (nxt - previous).total_seconds())
        previous, fire = nxt, nxt
    return longest


def cron_trigger(cron: str, location: str = "schedule.cron") -> CronTrigger:
    """A UTC CronTrigger from a 5-field crontab line; ``ConfigError`` at ``location`` if invalid."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger.from_crontab(cron, timezone=timezone.utc)
    except ValueError as exc:
        raise ConfigError(f"expected a 5-field crontab line such as '0 * * * *', got {cron!r} ({exc})", location=location) from None
