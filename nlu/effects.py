"""What people experience, as extra tokens: a problem told by its effects.

"路过那个拐角都得捂着鼻子" never says 垃圾; "晚上出门那段路伸手不见五指" never says 路灯.
Each pattern below groups many ways of saying one experience (a stench, a sleepless
night, weak water pressure, tripping, a dark stretch of road, a blocked way) into
one pseudo-word `⟪kind⟫` that the classifier weighs like any other token. The kinds
are experiences, not categories: the classifier learns which categories they point
to (a stench: garbage, drainage, animals…), so a new phrasing of a known experience
carries its meaning even when none of its words were in the training data.
"""

from __future__ import annotations

from nlu.regex import compile_with_lookahead

EFFECT_PATTERNS: dict[str, str] = {
    "stench": r"臭|馊|腥味|酸味|异味|骚味|霉味|捂着?鼻子|捂鼻|憋着?气|想吐|反胃|作呕|熏得|熏死|熏人|"
    r"味道(?:很|太|特别|老)?(?:大|冲|重|难闻)|苍蝇|蛆|蚊子|老鼠",
    "smoke": r"呛|烟味|辣眼|辣嗓子|咳嗽|嗓子疼|焦糊|烧焦|焦臭|焦味|雾蒙蒙|灰蒙蒙|冒烟|一股烟|烟熏|黑点",
    "dust": r"灰尘|一层灰|满嘴沙|满嘴土|黄土|尘土|扬尘|灰大|沙子飞|眼睛都睁不开",
    "sleepless": r"睡不着|睡不好|没睡好|吵醒|失眠|整觉|耳塞|神经衰弱|心脏受不了|头都要炸|震得|咚咚|嗡嗡|轰轰|"
    r"半夜|凌晨|后半夜|写不进|复习不了|没法复习|睡个安稳",
    "dark": r"伸手不见五指|黑乎乎|黑漆漆|黑灯瞎火|摸黑|打着?手电|手机电筒|看不见路|一片漆黑|漆黑|黑咕隆咚|"
    r"灯[^，。,.!?！？]{0,4}(?:没亮|不亮|黑)",
    "trip": r"绊倒|绊了|绊一|崴脚|崴了|摔了|摔倒|摔跤|颠一下|颠得|颠簸|磕了|磕着|跌倒|滑倒|一踩就晃|"
    r"咯噔|哐当",
    "water_supply": r"水压|水很小|水太小|滴水|一根线|没水|停水|接水|洗不了澡|洗澡得|水是黄|水发黄|发黄|锈|"
    r"水龙头|不进水|打不着火|气太小|气很小|暖气",
    "power": r"跳闸|灯[^，。,.!?！？]{0,3}闪|停电|电压|黑屏|烧坏|断电",
    "flooding": r"积水|淹|水漫|漫到|泡了|蹚水|熄火|水坑|成了小河|成了河|小腿|膝盖|冒黑水|往上冒|反水|下不去",
    "blocked_way": r"绕着走|绕到|绕过|侧身|侧着身|挤过去|挤不过|过不去|下不去脚|没地方下脚|没地方落脚|"
    r"只能走到?(?:机动车道|马路|车道|路中间)|下到车道|跨过去|跳着过|只剩一条缝|走不了|推不进|进不来|出不去",
    "sick": r"拉肚子|上吐下泻|肚子疼|食物中毒|吃坏|发霉|过期|变质|发黏|发馊|起泡|吃出",
    "mud": r"泥浆|黄泥|泥点|车轮印|轮胎印|带泥|撒土|洒土|一路撒|一路洒|掉下来的土|石子",
    "view_blocked": r"挡住了?(?:红绿灯|信号灯|视线|路牌|路口)|看不清(?:红绿灯|信号灯|是红灯)|"
    r"遮了?(?:一半|信号灯)|才看见是红灯|才看清是红灯|刮到脸|刮到头",
    "sun_blocked": r"挡光|晒不到|采光|挡住了?阳光|太阳全挡|光全挡|啥都挡|挡了视野|看不到河",
}
_EFFECTS = compile_with_lookahead("|".join(f"(?P<{k}>{p})" for k, p in EFFECT_PATTERNS.items()))


def effect_tokens(text: str) -> list[str]:
    """One `⟪kind⟫` per experience found in a normalised text (each kind once)."""
    kinds = {m.lastgroup for m in _EFFECTS.finditer(text)}
    return [f"⟪{k}⟫" for k in sorted(k for k in kinds if k)]
