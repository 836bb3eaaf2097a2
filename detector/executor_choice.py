"""Which executor a command uses: ``--executor`` wins over the config's ``executor:`` block, and
without either the models run in the local process pool (``workers`` processes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TextIO

from detector.config import Config
from detector.dask_address import LOCAL, parse_dask_address
from detector.executor import ChunkExecutor
from detector.executor_settings import DaskSettings

FLAG = "--executor"


@dataclass(frozen=True)
class ExecutorChoice:
    """The Dask cluster to use (``dask``), or None for the local pool; ``location`` names where it was
    chosen (the flag or the config field) for error messages."""

    dask: DaskSettings | None
    location: str

    def open(self, local: ChunkExecutor) -> AbstractContextManager[ChunkExecutor]:
        """The executor for one evaluation: ``local`` unless a Dask cluster was chosen."""
        if self.dask is None:
            return nullcontext(local)
        return _dask(self.dask, self.location)


def choose_executor(flag: str | None, config: Config, config_path: str) -> ExecutorChoice:
    """``--executor`` (already checked by ``cli_values.executor``) or else ``executor:`` from the config."""
    configured = config.executor.dask
    if flag is not None and flag.strip() == LOCAL:
        return ExecutorChoice(None, FLAG)
    if flag is not None:
        tcp = parse_dask_address(flag, "dask").tcp
        settings = configured.model_copy(update={"address": tcp}) if configured else DaskSettings(address=tcp)
        return ExecutorChoice(settings, FLAG)
    return ExecutorChoice(configured, f"{config_path}: executor.dask.address")


def note_unused_workers(workers_flag: int | None, choice: ExecutorChoice, stream: TextIO) -> None:
    """``--workers`` sizes the local pool only: say so when a Dask cluster runs the models instead."""
    if workers_flag is not None and choice.dask is not None:
        print(f"slowburn: --workers {workers_flag} is not used: the models run on the Dask cluster ({choice.location})", file=stream)


@contextmanager
def _dask(settings: DaskSettings, location: str) -> Iterator[ChunkExecutor]:
    from detector.dask_executor import dask_executor  # distributed is imported only when a cluster is used

    with dask_executor(settings, location) as executor:
        yield executor
