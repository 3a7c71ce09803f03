"""`Refusal`: a journey's answer to a command it refuses (also importable from vocabulary)."""

from pydantic import BaseModel, Field

from llwybr_contracts.vocabulary import RefusalCode


class Refusal(BaseModel):
    """A refused command: a stable code and its parameters (ids, codes and dates only)."""

    code: RefusalCode
    params: dict[str, str] = Field(default_factory=dict)
