"""Bot API methods for locations: sendLocation (live with ``live_period``),
editMessageLiveLocation and stopMessageLiveLocation, with Telegram's errors.

A live location the bot sent can be edited until ``date + live_period`` or until it is stopped;
after that (and for any other message) Telegram answers "message can't be edited". Moving to
the very same place is "message is not modified", like any other edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .api_messages import Call, MethodFn, _edit, _editable, _send
from .errors import bad_request
from .live import (
    FOREVER,
    MAX_PERIOD,
    MIN_PERIOD,
    LocationError,
    is_live,
    location_fields,
    stopped_location,
    valid_period,
)
from .state import Message

METHODS: dict[str, MethodFn] = {}
CANT_EDIT = "message can't be edited"


def method(name: str) -> Callable[[MethodFn], MethodFn]:
    def register(fn: MethodFn) -> MethodFn:
        METHODS[name.lower()] = fn
        return fn
    return register


def _location(call: Call) -> dict[str, Any]:
    p = call.params
    try:
        return location_fields(p.number("latitude"), p.number("longitude"),
                               heading=p.integer("heading"),
                               horizontal_accuracy=p.number("horizontal_accuracy"),
                               proximity_alert_radius=p.integer("proximity_alert_radius"))
    except LocationError as error:
        raise bad_request(str(error)) from None


@method("sendLocation")
def send_location(call: Call) -> Message:
    location = _location(call)
    period = call.params.integer("live_period")
    if period is None:
        for key in ("heading", "proximity_alert_radius"):  # live locations only
            location.pop(key, None)
    elif not valid_period(period):
        raise bad_request("wrong live location period specified")
    else:
        location["live_period"] = period
    return _send(call, {"location": location})


def _live(call: Call) -> tuple[Any, Message]:
    chat, msg = _editable(call)
    if not is_live(msg, call.world.now()):
        raise bad_request(CANT_EDIT)
    return chat, msg


@method("editMessageLiveLocation")
def edit_message_live_location(call: Call) -> Message:
    chat, msg = _live(call)
    location = _location(call)
    period = msg["location"]["live_period"]
    new_period = call.params.integer("live_period")
    if new_period is not None:
        # Telegram: 0x7FFFFFFF, or at most a day more than the current period
        if new_period != FOREVER and (
                new_period < MIN_PERIOD
                or (period != FOREVER and new_period > period + MAX_PERIOD)
                or call.world.now() >= msg["date"] + new_period):
            raise bad_request("wrong live location period specified")
        period = new_period
    location["live_period"] = period
    return _edit(call, chat, msg, {"location": location}, drop=("location",))


@method("stopMessageLiveLocation")
def stop_message_live_location(call: Call) -> Message:
    chat, msg = _live(call)
    return _edit(call, chat, msg, {"location": stopped_location(msg["location"])},
                 drop=("location",))
