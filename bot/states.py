"""Conversation steps (aiogram FSM). The data beside them holds ids and what the person typed."""

from aiogram.fsm.state import State, StatesGroup


class Report(StatesGroup):
    describe = State()  # a photo or a location came first: waiting for words
    category = State()  # low confidence: choosing among the top 3
    location = State()
    photos = State()
    confirm = State()  # the summary card is showing
    on_spot = State()  # a grid worker's result photo for 现场已处置


class Resolve(StatesGroup):
    """A unit member finishing a case, in the private chat."""

    photo = State()
    note = State()


class ReturnCase(StatesGroup):
    """A unit member typing why a case is not theirs (in the unit's group)."""

    reason = State()


class VerifyFail(StatesGroup):
    note = State()


class RateReason(StatesGroup):
    """A resident saying why the problem is not solved or why they are not satisfied."""

    reason = State()
