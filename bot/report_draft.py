"""The report in progress: a typed model kept in the conversation state (FSM data) between
the questions, so every step reads and writes named fields instead of dictionary keys.

Stored as a JSON object beside the step (aiogram's in-memory or Redis storage). Other keys a
middleware keeps in the same state (the question to ask again after a failed send) pass
through untouched."""

from __future__ import annotations

import secrets
from typing import Any

from aiogram.fsm.context import FSMContext
from pydantic import AliasChoices, BaseModel, ConfigDict, Field


def _alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class Draft(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_assignment=False)

    # A nonce carried by the card's buttons: a press on an older card is stale.
    nonce: int = Field(default=0, validation_alias=AliasChoices("nonce", "d"))
    text: str = ""
    category: str = Field(default="other", validation_alias=AliasChoices("category", "cat"))
    predicted: str | None = _alias("predicted", "pred")  # what the NLU said
    confidence: float | None = _alias("confidence", "conf")
    emergency: bool = Field(default=False, validation_alias=AliasChoices("emergency", "emg"))
    ranking: list[str] = Field(default_factory=list, validation_alias=AliasChoices("ranking", "rank"))
    triage: bool = False  # 其他 after "not sure": a dispatcher decides (分类不确定)
    lat: float | None = None
    lon: float | None = None
    address: str | None = _alias("address", "addr")
    grid_id: str | None = _alias("grid_id", "grid")
    photos: list[str] = Field(default_factory=list)  # file ids
    transcript_ids: list[int] = Field(  # what the person sent for this report
        default_factory=list, validation_alias=AliasChoices("transcript_ids", "msgs"))
    # The first of them: the bot's replies from there on are linked to the case too.
    first_transcript_id: int | None = _alias("first_transcript_id", "first")
    card_id: int | None = _alias("card_id", "card")  # the summary card's message id
    # When the words last came (unix seconds) and the question asked after them: a text
    # right after is the rest of the same message (see `bot.draft.continues`).
    text_at: int | None = None
    part_len: int = 0  # the length of that last part
    editing: bool = False  # changing one thing from the summary card: back to it after
    prompt_id: int | None = None
    album: str | None = None  # the album whose first photo was acknowledged
    album_done: str | None = None  # an album already used up by a submitted report
    submit_failed: bool = False  # a press of [提交] failed (the case may exist all the same)

    @classmethod
    async def load(cls, state: FSMContext) -> Draft:
        return cls.model_validate(await state.get_data())

    async def save(self, state: FSMContext) -> None:
        await state.set_data(self.model_dump(mode="json"))

    def new_nonce(self) -> None:
        self.nonce = secrets.randbelow(2**31 - 1) + 1

    def heard(self, transcript_id: int | None) -> Draft:
        """The person's message `transcript_id` belongs to this report."""
        if transcript_id is not None:
            self.transcript_ids.append(transcript_id)
        return self

    @property
    def located(self) -> bool:
        return self.lat is not None or bool(self.address)
