"""Photos, albums, files, locations and the odd kinds of input residents send."""

from __future__ import annotations

import io

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaPhoto

from .conftest import RESIDENT, UNIT_GROUP
from .images import solid, street_scene


async def test_send_photo_upload_then_file_id_then_download(bot, client):
    data = street_scene(160, 100)
    sent = await bot.send_photo(RESIDENT, BufferedInputFile(data, "scene.png"),
                                caption="<b>现场照片</b>", parse_mode="HTML")
    photo = sent.photo[-1]
    assert (photo.width, photo.height, photo.file_size) == (160, 100, len(data))
    assert sent.caption == "现场照片" and sent.caption_entities[0].type == "bold"

    again = await bot.send_photo(UNIT_GROUP, photo.file_id)
    assert again.photo[-1].file_unique_id == photo.file_unique_id

    file = await bot.get_file(photo.file_id)
    assert file.file_path and file.file_size == len(data)
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, buffer)
    assert buffer.getvalue() == data
    assert (await bot.download(photo.file_id)).getvalue() == data


async def test_bot_downloads_a_residents_photo(bot, client, poller):
    data = street_scene(120, 90, seed=3)
    await client.user(RESIDENT).send_photo(data, caption="垃圾没人清")
    msg = (await poller.one()).message
    assert msg.caption == "垃圾没人清"
    assert (msg.photo[-1].width, msg.photo[-1].height) == (120, 90)
    assert (await bot.download(msg.photo[-1])).getvalue() == data


async def test_media_group_both_ways(bot, client, poller):
    await client.user(RESIDENT).send_photo([solid(rgb=(1, 2, 3)), solid(rgb=(4, 5, 6))],
                                           caption="两张")
    album = await poller.next()
    assert len(album) == 2
    group_id = album[0].message.media_group_id
    assert group_id and album[1].message.media_group_id == group_id
    assert album[0].message.caption == "两张" and album[1].message.caption is None

    media = [InputMediaPhoto(media=album[0].message.photo[-1].file_id, caption="居民上传"),
             InputMediaPhoto(media=BufferedInputFile(solid(12, 9), "a.png")),
             InputMediaPhoto(media=BufferedInputFile(solid(9, 12), "b.png"))]
    sent = await bot.send_media_group(UNIT_GROUP, media)
    assert len(sent) == 3 and len({m.media_group_id for m in sent}) == 1
    assert [(m.photo[-1].width, m.photo[-1].height) for m in sent[1:]] == [(12, 9), (9, 12)]
    with pytest.raises(TelegramBadRequest, match="2-10 items"):
        await bot.send_media_group(UNIT_GROUP, media[:1])


async def test_photo_errors(bot):
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(RESIDENT, BufferedInputFile(b"not an image", "x.jpg"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(RESIDENT, "AgACAgUAAxkBAAIBogAAA")
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(RESIDENT, BufferedInputFile(solid(), "a.png"), caption="长" * 1025)


async def test_send_document_and_get_file(bot):
    sent = await bot.send_document(RESIDENT, BufferedInputFile(b"id,status\n1,open\n",
                                                              "report.csv"))
    assert sent.document.file_name == "report.csv"
    assert (await bot.download(sent.document.file_id)).getvalue() == b"id,status\n1,open\n"


async def test_locations_and_venues(bot, client, poller):
    sent = await bot.send_location(UNIT_GROUP, 25.838018, 115.021984)
    assert (sent.location.latitude, sent.location.longitude) == (25.838018, 115.021984)
    await client.user(RESIDENT).send_location(25.850693, 115.022108, title="县电影院",
                                              address="解放社区第1网格")
    msg = (await poller.one()).message
    assert msg.location.latitude == 25.850693
    assert msg.venue.title == "县电影院" and msg.venue.address == "解放社区第1网格"
    with pytest.raises(TelegramBadRequest, match="wrong location"):
        await bot.send_location(RESIDENT, 95.0, 10.0)


@pytest.mark.parametrize("kind,field", [
    ("sticker", "sticker"), ("voice", "voice"), ("video", "video"), ("document", "document"),
    ("audio", "audio"), ("animation", "animation"), ("video_note", "video_note"),
])
async def test_odd_inputs_parse_in_aiogram(bot, client, poller, kind, field):
    """Every kind of message a resident may send validates against aiogram's models."""
    await client.user(RESIDENT).send_media(kind)
    msg = (await poller.one()).message
    assert getattr(msg, field) is not None
    assert msg.text is None


async def test_contact(client, poller):
    await client.user(RESIDENT).send_contact()
    contact = (await poller.one()).message.contact
    assert contact.user_id == RESIDENT and contact.phone_number.startswith("+86")
