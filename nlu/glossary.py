"""English words residents mix in ("pothole on 建设路", "parking乱停") → Chinese words.

The Chinese equivalents are added as extra word tokens (the text itself and the
entity offsets are untouched), so a message in half English still reaches the
features the corpus taught the classifier.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z]+")

GLOSSARY: dict[str, tuple[str, ...]] = {
    # parking, roads, facilities
    "parking": ("停车",), "parked": ("停车",), "park": ("停车",), "car": ("车",), "cars": ("车",),
    "bike": ("单车",), "bikes": ("单车",), "scooter": ("电动车",), "sidewalk": ("人行道",),
    "pothole": ("坑",), "potholes": ("坑",), "road": ("路面",), "manhole": ("井盖",),
    "streetlight": ("路灯",), "lamp": ("路灯",), "light": ("灯",), "lights": ("灯",),
    "broken": ("坏了",), "damaged": ("破损",), "fence": ("护栏",), "sign": ("标志",),
    "traffic": ("交通",),
    # vending, shops
    "vendor": ("摊贩",), "vendors": ("摊贩",), "stall": ("摊",), "stalls": ("摊",),
    "street": ("街",), "shop": ("店",), "store": ("店",), "restaurant": ("饭店",),
    "tables": ("桌椅",), "chairs": ("桌椅",),
    # garbage, clutter, ads, construction
    "garbage": ("垃圾",), "trash": ("垃圾",), "rubbish": ("垃圾",), "litter": ("垃圾",),
    "bin": ("垃圾桶",), "bins": ("垃圾桶",), "dirty": ("脏",), "toilet": ("厕所",),
    "junk": ("杂物",), "clutter": ("杂物",), "stuff": ("杂物",),
    "ads": ("小广告",), "ad": ("小广告",), "poster": ("小广告",), "posters": ("小广告",),
    "flyers": ("小广告",), "graffiti": ("涂鸦",), "banner": ("横幅",),
    "illegal": ("违法",), "shed": ("棚",), "building": ("搭建",), "construction": ("施工",),
    "site": ("工地",), "truck": ("渣土车",), "trucks": ("渣土车",), "dust": ("扬尘",),
    # water, power, gas
    "drain": ("下水道",), "sewer": ("下水道",), "sewage": ("污水",), "blocked": ("堵塞",),
    "clogged": ("堵塞",), "flood": ("积水",), "flooded": ("积水",), "flooding": ("积水",),
    "water": ("水",), "pipe": ("水管",), "leak": ("漏",), "leaking": ("漏",),
    "power": ("停电",), "outage": ("停电",), "blackout": ("停电",), "electricity": ("电",),
    "wire": ("电线",), "wires": ("电线",), "gas": ("燃气",),
    # noise, air, food, animals, greenery
    "noise": ("噪音",), "noisy": ("吵",), "loud": ("吵",), "music": ("音响",),
    "dancing": ("广场舞",), "smoke": ("烟",), "smell": ("臭味",), "smells": ("臭味",),
    "stink": ("臭味",), "stinks": ("臭味",), "burning": ("焚烧",), "bbq": ("烧烤",),
    "food": ("食品",), "expired": ("过期",), "dog": ("狗",), "dogs": ("狗",), "leash": ("牵绳",),
    "cat": ("猫",), "cats": ("猫",), "stray": ("流浪",), "bite": ("咬",), "bit": ("咬",),
    "tree": ("树",), "trees": ("树",), "branch": ("树枝",), "branches": ("树枝",),
    "grass": ("草坪",),
    # danger
    "fire": ("着火",), "burn": ("着火",), "injured": ("受伤",), "hurt": ("受伤",),
    "trapped": ("被困",), "collapse": ("倒塌",), "collapsed": ("倒塌",), "help": ("救命",),
    # intents
    "hello": ("你好",), "hi": ("你好",), "thanks": ("谢谢",), "thank": ("谢谢",),
    "status": ("进度",), "progress": ("进度",),
}


def english_tokens(text: str) -> list[str]:
    """Chinese tokens for the English words of a normalised (lower-case) text."""
    if not _WORD.search(text):
        return []
    return [zh for w in _WORD.findall(text) for zh in GLOSSARY.get(w, ())]
