"""The config's ``executor:`` block: where the models run (the local process pool unless it names a
Dask cluster). The command line's ``--executor`` wins over it (``detector.engine.executor_choice``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from detector.configuration.dask_address import DaskAddress, parse_dask_address
from detector.configuration.durations import parse_duration

Duration = Annotated[float, BeforeValidator(lambda value: parse_duration(value))]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DaskSettings(_Frozen):
    """A Dask distributed cluster: ``address`` of its scheduler and how long to wait for it."""

    address: str = Field(description="the scheduler, tcp://HOST:PORT")
    connect_timeout: Duration = Field(default=10.0, description="give up (exit 10) when the scheduler does not answer within this")
    worker_wait: Duration = Field(
        default=30.0, description="with no worker in the cluster for this long, the chunks not yet computed are reported as not evaluated"
    )
    shares_store: bool = Field(
        default=False,
        description="every worker sees the history store at the path this process uses (a shared volume): the workers read its"
        " pages themselves and are not sent the samples; a worker that cannot read it loses its chunks, reported as not evaluated",
    )

    @field_validator("address")
    @classmethod
    def _dask_address(cls, value: str) -> str:
        parse_dask_address(value, "tcp")
        return value

    @property
    def scheduler(self) -> DaskAddress:
        return parse_dask_address(self.address, "tcp")


class ExecutorSettings(_Frozen):
    """``executor: {dask: {address: tcp://HOST:PORT}}``; empty: the local process pool."""

    dask: DaskSettings | None = None
