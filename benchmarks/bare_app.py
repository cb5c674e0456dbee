"""The yardstick: the same framework doing nothing but parse a small JSON body and answer.

Served by benchmarks/run.py with the same uvicorn workers and logging as `triage serve`."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class Posted(BaseModel):
    model_config = ConfigDict(extra="allow")
    external_id: str
    channel: str
    body: str


@app.post("/v1/messages", status_code=201)
def post_message(payload: Posted) -> dict[str, str]:
    return {"external_id": payload.external_id, "status": "ok"}
