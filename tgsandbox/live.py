"""Live locations: a location message with ``live_period`` that its sender moves by edits.

Telegram's rules, kept by the users' side (:class:`LiveSharing`, a mixin of
:class:`tgsandbox.state.World`) and the bot's side (:mod:`tgsandbox.api_live`) alike:

- ``live_period`` is 60..86400 seconds, or 0x7FFFFFFF for "until stopped";
- each move is an edit of the same message: the bot gets an ``edited_message`` update whose
  ``location`` has the new coordinates and which carries ``edit_date``;
- stopping is a final edit at the last position whose ``location`` has no ``live_period``
  (``Location.live_period`` is there for active live locations only);
- once ``date + live_period`` has passed, or after the stop, no edit is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .models import Chat, SandboxError, User

if TYPE_CHECKING:
    from .updates import UpdateQueue

FOREVER = 0x7FFFFFFF
MIN_PERIOD = 60
MAX_PERIOD = 86400
# The durations Telegram's apps offer when sharing a live location: 15 min, 1 h, 8 h.
APP_PERIODS = (900, 3600, 28800)
# Keys of ``location`` that only an active live location has.
LIVE_ONLY = ("live_period", "heading", "proximity_alert_radius")

Message = dict[str, Any]


class LocationError(ValueError):
    """A coordinate or live-location parameter out of Telegram's range (its wording)."""


def valid_period(period: int) -> bool:
    return period == FOREVER or MIN_PERIOD <= period <= MAX_PERIOD


def is_live(message: Mapping[str, Any], now: float) -> bool:
    """Whether ``message`` is a live location that may still be edited at ``now``."""
    location = message.get("location") or {}
    period = location.get("live_period")
    if period is None or "venue" in message:
        return False
    return bool(period == FOREVER or now < message["date"] + period)


def expired(message: Mapping[str, Any], now: float) -> bool:
    """A live location whose period ran out without being stopped."""
    period = (message.get("location") or {}).get("live_period")
    return period is not None and not is_live(message, now)


def location_fields(latitude: float | None, longitude: float | None, *,
                    heading: int | None = None, horizontal_accuracy: float | None = None,
                    proximity_alert_radius: int | None = None) -> dict[str, Any]:
    """A Bot API ``Location`` (without ``live_period``), checked like Telegram checks it."""
    if latitude is None or longitude is None:
        raise LocationError("wrong latitude" if latitude is None else "wrong longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise LocationError("wrong location")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if horizontal_accuracy is not None:
        if not 0 <= horizontal_accuracy <= 1500:
            raise LocationError("wrong horizontal accuracy")
        location["horizontal_accuracy"] = horizontal_accuracy
    if heading is not None:
        if not 1 <= heading <= 360:
            raise LocationError("wrong heading")
        location["heading"] = heading
    if proximity_alert_radius is not None:
        if not 1 <= proximity_alert_radius <= 100000:
            raise LocationError("wrong proximity alert radius")
        location["proximity_alert_radius"] = proximity_alert_radius
    return location


def stopped_location(location: Mapping[str, Any]) -> dict[str, Any]:
    """The last position of a live location, as the final (stopping) edit carries it."""
    return {k: v for k, v in location.items() if k not in LIVE_ONLY}


class LiveSharing:
    """What a person does with a live location in the page: start, move, stop."""

    if TYPE_CHECKING:
        updates: UpdateQueue

        def now(self) -> int: ...
        def user_chat(self, user_id: int, chat_id: int) -> tuple[User, Chat]: ...
        def user_sends(self, user_id: int, chat_id: int, fields: Mapping[str, Any],
                       reply_to: int | None = None) -> Message: ...
        def replace(self, chat: Chat, message_id: int, fields: Mapping[str, Any],
                    drop: Any = ()) -> Message: ...
        def _bot_sees(self, chat: Chat, msg: Message) -> bool: ...

    def start_live(self, user_id: int, chat_id: int, latitude: float, longitude: float,
                   live_period: int, heading: int | None = None,
                   horizontal_accuracy: float | None = None) -> Message:
        if not valid_period(live_period):
            raise SandboxError(f"live_period must be {MIN_PERIOD}..{MAX_PERIOD} seconds or "
                               f"{FOREVER} (until stopped), not {live_period}")
        location = self._checked(latitude, longitude, heading, horizontal_accuracy)
        return self.user_sends(user_id, chat_id,
                               {"location": {**location, "live_period": live_period}})

    def move_live(self, user_id: int, chat_id: int, message_id: int, latitude: float,
                  longitude: float, heading: int | None = None,
                  horizontal_accuracy: float | None = None) -> Message:
        chat, message = self._own_live(user_id, chat_id, message_id)
        location = self._checked(latitude, longitude, heading, horizontal_accuracy)
        location["live_period"] = message["location"]["live_period"]
        return self._edited(chat, message_id, location)

    def stop_live(self, user_id: int, chat_id: int, message_id: int) -> Message:
        chat, message = self._own_live(user_id, chat_id, message_id)
        return self._edited(chat, message_id, stopped_location(message["location"]))

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _checked(latitude: float, longitude: float, heading: int | None,
                 horizontal_accuracy: float | None) -> dict[str, Any]:
        try:
            return location_fields(latitude, longitude, heading=heading,
                                   horizontal_accuracy=horizontal_accuracy)
        except LocationError as error:
            raise SandboxError(str(error)) from None

    def _own_live(self, user_id: int, chat_id: int, message_id: int) -> tuple[Chat, Message]:
        user, chat = self.user_chat(user_id, chat_id)
        message = chat.messages.get(message_id)
        if message is None:
            raise SandboxError(f"message {message_id} not found", 404)
        if message["from"]["id"] != user.id:
            raise SandboxError("only the sender can move or stop a live location", 403)
        if "live_period" not in (message.get("location") or {}):
            if message.get("edit_date") and "location" in message:
                raise SandboxError("this live location was stopped", 409)
            raise SandboxError(f"message {message_id} is not a live location", 409)
        if not is_live(message, self.now()):
            raise SandboxError("this live location has expired (its live_period is over)", 409)
        return chat, message

    def _edited(self, chat: Chat, message_id: int, location: dict[str, Any]) -> Message:
        new = self.replace(chat, message_id, {"location": location}, drop=("location",))
        if self._bot_sees(chat, new):
            self.updates.push("edited_message", new)
        return new
