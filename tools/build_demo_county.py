#!/usr/bin/env python3
"""Build the demo county 青禾县 (Qinghe county, invented, Jiangxi-style).

Writes, deterministically (same input -> byte-identical output):

    gridbot/demo/county.geojson   grids at four levels, with named places on unit grids
    gridbot/demo/units.yaml       responsible units (责任单位) and their routing scope
    gridbot/demo/people.yaml      demo members for the chat sandbox

and then checks what it wrote: valid polygons, exact tiling of every parent by
its children, no overlapping siblings, every place inside its unit grid, and
the routing rule of docs/formats.md (exactly one winning unit for
every unit grid x every category).  Exit status 1 when a check fails.

How the map is made
-------------------
The county is cut out of a lattice of 12 x 10 cells (columns of different
widths, rows of different heights, every lattice node jittered by a few tens
of metres).  The 青禾江 runs north-south along lattice column line 8 and
meanders (its nodes are shifted further, and every river edge carries extra
shared vertices), so the river is the exact boundary of 河东街道.  Outer edges
of the county get small wiggles, and corner cells are left out, so the
outline is irregular.  A hand-drawn character map assigns each cell to a
community; each community is cut into unit grids of 1-3 connected cells.

All coordinates are rounded to 6 decimals *on the lattice*, before any
polygon is built; neighbouring cells share the very same vertex objects, so
unit grids, communities, streets and the county are exact unions of cells:
no slivers, no overlaps, and rounding changes nothing.

Usage:  python tools/build_demo_county.py [--out DIR] [--check-only]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import shapely
import yaml
from shapely.geometry import LineString, MultiLineString, Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "gridbot" / "demo"
TAXONOMY_CANDIDATES = [ROOT / "dispatch" / "domain" / "taxonomy.yaml"]

SEED = 20250611
LON0, LAT0 = 115.03, 25.83  # centre of the county
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))

# Lattice: column widths (west -> east) and row heights (south -> north), metres.
COL_W = [520, 480, 510, 470, 450, 420, 440, 500, 560, 500, 540, 520]
ROW_H = [480, 500, 520, 470, 500, 530, 490, 510, 500, 480]
NCOL, NROW = len(COL_W), len(ROW_H)
RIVER_COL_LINE = 8  # the 青禾江 follows lattice line x-index 8 (between columns 7 and 8)
JITTER_M = 55.0
RIVER_MEANDER_M = 110.0
RIVER_WIGGLE_M = 55.0
OUTER_WIGGLE_M = 45.0

# Which community each lattice cell belongs to. Row 9 (top line) is the north.
# '.' = outside the county.
CELL_MAP = [
    ".FFFAABBHH..",  # row 9
    "FFFFAABBHHI.",  # row 8
    "FFFEAABBHHII",  # row 7
    "GFEEAABBHHII",  # row 6
    "GGEEAACCHHII",  # row 5
    "GGEEDDCCHJJI",  # row 4
    "GGEEDDCCJJJ.",  # row 3
    "GGGEDDCCJJJ.",  # row 2
    ".GGEDDCCJJ..",  # row 1
    "..GEDDDCJ...",  # row 0
]

COUNTY = ("G-01", "青禾县")
STREETS = [  # id, name, slug
    ("G-01-01", "城关街道", "chengguan"),
    ("G-01-02", "城西街道", "chengxi"),
    ("G-01-03", "河东街道", "hedong"),
]
# letter -> (community id, name, slug, unit grid sizes in cells, in order NW -> SE)
COMMUNITIES = {
    "A": ("G-01-01-01", "解放社区", "jiefang", [2, 3, 2, 3]),
    "B": ("G-01-01-02", "人民社区", "renmin", [2, 2, 1, 3]),
    "C": ("G-01-01-03", "五一社区", "wuyi", [3, 2, 3, 3]),
    "D": ("G-01-01-04", "建设社区", "jianshe", [3, 2, 2, 1, 3]),
    "E": ("G-01-02-01", "五丰社区", "wufeng", [3, 3, 3, 3]),
    "F": ("G-01-02-02", "西山村", "xishan", [3, 3, 3, 2]),
    "G": ("G-01-02-03", "城西社区", "chengxi", [3, 3, 2, 3, 2]),
    "H": ("G-01-03-01", "滨江社区", "binjiang", [3, 3, 2, 3]),
    "I": ("G-01-03-02", "东门村", "dongmen", [3, 3, 2]),
    "J": ("G-01-03-03", "河东社区", "hedong", [3, 3, 3, 2]),
}

# ---------------------------------------------------------------------------
# Places.  Points are given in lattice coordinates (s, t): s = column + u,
# t = row + v, mapped bilinearly onto the jittered lattice.
# ---------------------------------------------------------------------------

# Points of interest: (community letter, col, row, u, v, name, kind, aliases)
POIS = [
    # 解放社区 — the old centre
    ("A", 5, 9, 0.50, 0.50, "青禾县人民政府", "government", ["县政府", "县委县政府大院"]),
    ("A", 4, 9, 0.45, 0.55, "县公安局", "government", ["公安局"]),
    ("A", 4, 8, 0.40, 0.50, "青禾县实验小学", "school", ["实验小学", "实验小"]),
    ("A", 5, 8, 0.60, 0.30, "幸福里小区", "estate", ["幸福里"]),
    ("A", 5, 7, 0.40, 0.55, "新华书店", "landmark", ["书店"]),
    ("A", 4, 6, 0.35, 0.75, "解放路菜市场", "market", ["解放菜场", "解放路菜场", "解放市场"]),
    ("A", 5, 6, 0.60, 0.78, "青禾百货大楼", "landmark", ["百货大楼", "老百货"]),
    ("A", 4, 5, 0.40, 0.30, "解放小区", "estate", []),
    # 人民社区
    ("B", 6, 9, 0.50, 0.50, "青禾宾馆", "landmark", []),
    ("B", 7, 9, 0.40, 0.50, "仓前老街", "shop_street", ["老街"]),
    ("B", 6, 8, 0.50, 0.50, "人民广场", "square", ["县人民广场"]),
    ("B", 7, 7, 0.45, 0.60, "县人民医院", "hospital", ["人民医院", "县医院"]),
    ("B", 6, 7, 0.30, 0.25, "人民新村", "estate", []),
    ("B", 7, 6, 0.45, 0.20, "供电公司宿舍", "estate", ["电力宿舍"]),
    # 五一社区
    ("C", 6, 4, 0.60, 0.25, "五一广场", "square", ["五一路广场"]),
    ("C", 7, 3, 0.45, 0.55, "县中医院", "hospital", ["中医院"]),
    ("C", 6, 2, 0.30, 0.75, "城关第二小学", "school", ["城关二小", "二小"]),
    ("C", 7, 1, 0.45, 0.50, "五一小区", "estate", []),
    ("C", 6, 1, 0.25, 0.30, "五一路夜市", "shop_street", ["夜市"]),
    ("C", 7, 5, 0.45, 0.85, "老码头", "landmark", ["江边码头"]),
    ("C", 7, 0, 0.40, 0.50, "粮食局宿舍", "estate", []),
    # 建设社区
    ("D", 4, 3, 0.35, 0.65, "青禾一中", "school", ["一中", "县一中"]),
    ("D", 5, 3, 0.65, 0.25, "金桂园", "estate", ["金桂园小区"]),
    ("D", 4, 1, 0.35, 0.65, "建设新村", "estate", []),
    ("D", 6, 0, 0.50, 0.50, "县体育馆", "landmark", ["体育馆"]),
    ("D", 5, 1, 0.70, 0.25, "县自来水公司", "landmark", ["自来水公司"]),
    ("D", 4, 4, 0.30, 0.25, "建材市场", "market", []),
    # 五丰社区
    ("E", 3, 5, 0.40, 0.25, "五丰菜市场", "market", ["五丰菜场", "五丰市场"]),
    ("E", 2, 4, 0.50, 0.75, "五丰新村", "estate", []),
    ("E", 3, 3, 0.45, 0.75, "五丰小学", "school", []),
    ("E", 3, 7, 0.50, 0.50, "青禾二中", "school", ["二中", "县二中"]),
    ("E", 2, 3, 0.35, 0.30, "五丰社区卫生服务中心", "hospital", ["五丰卫生院"]),
    ("E", 3, 1, 0.50, 0.50, "五丰商贸城", "shop_street", ["商贸城"]),
    ("E", 3, 0, 0.50, 0.45, "五丰安置小区", "estate", []),
    # 西山村
    ("F", 1, 8, 0.50, 0.30, "西山村村委会", "government", ["西山村委会", "西山村部"]),
    ("F", 3, 9, 0.50, 0.60, "西山森林公园", "park", ["西山公园"]),
    ("F", 0, 8, 0.55, 0.50, "上坊组", "village", ["上坊"]),
    ("F", 1, 7, 0.50, 0.50, "刘家屋场", "village", []),
    ("F", 2, 7, 0.40, 0.40, "下坊组", "village", ["下坊"]),
    ("F", 2, 8, 0.50, 0.40, "西山小学", "school", []),
    ("F", 1, 9, 0.50, 0.60, "西山水库", "landmark", []),
    ("F", 1, 6, 0.50, 0.50, "宋家垄", "village", []),
    # 城西社区
    ("G", 1, 5, 0.50, 0.25, "青禾汽车站", "station", ["汽车站", "客运站", "汽车客运站", "车站"]),
    ("G", 1, 3, 0.50, 0.60, "城西农贸市场", "market", ["城西市场", "城西菜场"]),
    ("G", 0, 4, 0.50, 0.75, "城西幼儿园", "school", []),
    ("G", 2, 2, 0.50, 0.75, "城西小学", "school", []),
    ("G", 1, 1, 0.50, 0.50, "城西工业园", "landmark", ["工业园"]),
    ("G", 0, 2, 0.50, 0.50, "城西花苑", "estate", []),
    ("G", 2, 0, 0.50, 0.50, "青禾物流园", "landmark", ["物流园"]),
    ("G", 0, 6, 0.50, 0.50, "城西公园", "park", []),
    # 滨江社区
    ("H", 8, 7, 0.45, 0.50, "滨江公园", "park", ["江边公园"]),
    ("H", 9, 8, 0.60, 0.50, "滨江花园", "estate", ["滨江花园小区"]),
    ("H", 9, 6, 0.50, 0.60, "江景湾", "estate", ["江景湾小区"]),
    ("H", 8, 9, 0.50, 0.50, "滨江广场", "square", []),
    ("H", 9, 5, 0.55, 0.25, "滨江小学", "school", []),
    # 东门村
    ("I", 11, 5, 0.50, 0.30, "青禾火车站", "station", ["火车站", "青禾站"]),
    ("I", 11, 4, 0.40, 0.60, "站前广场", "square", ["火车站广场"]),
    ("I", 10, 7, 0.50, 0.30, "东门村村委会", "government", ["东门村委会", "东门村部"]),
    ("I", 11, 6, 0.50, 0.50, "东门小学", "school", []),
    ("I", 10, 8, 0.50, 0.50, "东门上村", "village", []),
    ("I", 11, 7, 0.50, 0.60, "东门下村", "village", []),
    ("I", 10, 6, 0.30, 0.50, "黄氏宗祠", "landmark", ["黄家祠堂"]),
    # 河东社区 — the new district
    ("J", 9, 3, 0.50, 0.60, "县政务服务中心", "government", ["政务中心", "市民中心"]),
    ("J", 9, 2, 0.50, 0.50, "河东菜市场", "market", ["河东菜场"]),
    ("J", 10, 2, 0.50, 0.50, "青禾三中", "school", ["三中"]),
    ("J", 10, 3, 0.50, 0.50, "御景华庭", "estate", []),
    ("J", 8, 1, 0.50, 0.50, "河东安置小区", "estate", []),
    ("J", 10, 4, 0.50, 0.50, "县第二人民医院", "hospital", ["二医院", "县二医院"]),
    ("J", 9, 1, 0.50, 0.50, "河东幼儿园", "school", []),
    ("J", 8, 0, 0.50, 0.50, "县污水处理厂", "landmark", ["污水处理厂"]),
]

# Roads (and the bridge): (name, kind, aliases, polyline in (s, t), minimum length in m
# inside a grid for the road to be listed there).  A road is listed in every
# unit grid it crosses, each time with a point of its own inside that grid.
ROADS = [
    ("解放路", "road", ["解放街"], [(2.3, 6.45), (7.65, 6.55)], 150),
    ("人民路", "road", [], [(5.5, 0.3), (5.45, 9.7)], 150),
    ("中山路", "road", [], [(0.3, 4.45), (7.65, 4.5)], 150),
    ("建设路", "road", [], [(1.2, 2.5), (7.65, 2.45)], 150),
    ("青禾大道", "road", ["大道"], [(0.2, 5.55), (11.8, 5.5)], 150),
    ("滨江路", "road", ["滨江大道"], [(8.3, 0.3), (8.3, 9.6)], 150),
    ("沿江路", "road", [], [(7.62, 0.4), (7.62, 9.6)], 150),
    ("五丰路", "road", [], [(2.6, 0.3), (2.6, 7.7)], 150),
    ("西山路", "road", [], [(0.4, 8.55), (3.6, 8.35)], 150),
    ("五一路", "road", [], [(6.5, 0.5), (6.5, 5.45)], 150),
    ("东门路", "road", [], [(9.2, 7.5), (11.7, 7.4)], 150),
    ("河东大道", "road", [], [(10.5, 2.2), (10.45, 8.5)], 150),
    ("新城路", "road", [], [(8.15, 3.3), (10.8, 3.3)], 150),
    ("工业大道", "road", [], [(0.6, 1.3), (2.8, 0.6)], 150),
    ("青禾江大桥", "landmark", ["大桥", "江桥"], [(7.5, 5.72), (8.5, 5.72)], 60),
]

# Further places per community, put (in order) into whichever unit grid of the
# community has the fewest places so far, at a pseudo-random point inside it.
EXTRA_PLACES = {
    "A": [("县电影院", "landmark", ["电影院"]), ("解放路小吃街", "shop_street", ["小吃街"]),
          ("县委宿舍", "estate", ["县委大院宿舍"]),
          ("解放路邮政局", "landmark", ["邮电局", "邮局"]),
          ("县工人文化宫", "landmark", ["文化宫"]),
          ("解放社区居委会", "government", ["解放居委会"])],
    "B": [("县图书馆", "landmark", ["图书馆"]), ("税务局宿舍", "estate", []),
          ("人民路商业街", "shop_street", ["商业街"]),
          ("县妇幼保健院", "hospital", ["妇幼保健院"]),
          ("城关幼儿园", "school", []),
          ("人民社区居委会", "government", ["人民居委会"])],
    "C": [("五一新村", "estate", []), ("沿江小区", "estate", []),
          ("五一路公厕", "landmark", ["五一公厕"]), ("江边小游园", "park", ["小游园"]),
          ("沿江菜市场", "market", ["沿江菜场"]), ("五一社区居委会", "government", ["五一居委会"])],
    "D": [("建设小区", "estate", []), ("县老干部活动中心", "landmark", ["老干部活动中心"]),
          ("建设路幼儿园", "school", []), ("教师新村", "estate", []),
          ("城关街道办事处", "government", ["城关街道办", "街道办"]),
          ("建设社区居委会", "government", ["建设居委会"])],
    "E": [("丰乐苑", "estate", []), ("五丰夜市", "shop_street", []),
          ("城西街道办事处", "government", ["城西街道办"]),
          ("五丰社区居委会", "government", ["五丰居委会"]),
          ("五丰幼儿园", "school", [])],
    "F": [("西山农家乐", "landmark", []), ("曾家坳", "village", []),
          ("西山茶场", "landmark", ["茶场"]), ("钟家排", "village", []),
          ("西山村文化广场", "square", ["村文化广场"])],
    "G": [("城西花园", "estate", []), ("城西派出所", "government", []),
          ("城西汽修一条街", "shop_street", ["汽修街"]), ("城西加油站", "landmark", ["加油站"]),
          ("城西社区居委会", "government", ["城西居委会"]),
          ("城西卫生院", "hospital", [])],
    "H": [("滨江一号", "estate", []), ("滨江美食街", "shop_street", ["美食街"]),
          ("滨江社区居委会", "government", ["滨江居委会"]), ("江滨游泳池", "landmark", ["游泳池"]),
          ("滨江幼儿园", "school", [])],
    "I": [("东门塘", "landmark", []), ("赖家屋场", "village", []),
          ("东门村卫生室", "hospital", ["村卫生室"]), ("站前宾馆一条街", "shop_street", ["宾馆街"]),
          ("东门桥", "landmark", [])],
    "J": [("河东新区管委会", "government", ["管委会"]), ("翠湖苑", "estate", []),
          ("河东街道办事处", "government", ["河东街道办"]), ("青禾体育公园", "park", ["体育公园"]),
          ("河东公交总站", "station", ["公交总站"]), ("锦江花园", "estate", []),
          ("河东社区居委会", "government", ["河东居委会"]),
          ("市民广场", "square", ["行政中心广场"])],
}
REQUIRED_PLACES = ["解放路", "解放路菜市场", "五丰菜市场", "人民广场", "青禾火车站", "青禾汽车站"]
PLACE_KINDS = {
    "road", "market", "school", "estate", "hospital", "park", "square",
    "government", "station", "shop_street", "village", "landmark",
}

# ---------------------------------------------------------------------------
# Units.  `grids` may name a place instead of a grid id ("@青禾火车站"): it is
# resolved to the unit grid that holds the place.
# ---------------------------------------------------------------------------
LAW = ["street_vending", "shopfront_encroachment", "illegal_ads", "illegal_construction", "clutter"]
UNITS = [
    ("zf-chengguan", "城关执法中队", "law_enforcement", LAW, ["G-01-01"]),
    ("zf-chengxi", "城西执法中队", "law_enforcement", LAW, ["G-01-02"]),
    ("zf-hedong", "河东执法中队", "law_enforcement", LAW, ["G-01-03"]),
    ("jj-chengqu", "交警城区中队", "traffic_police", ["illegal_parking"], ["G-01-01", "G-01-02"]),
    ("jj-hedong", "交警河东中队", "traffic_police", ["illegal_parking"], ["G-01-03"]),
    # local exception: the railway station forecourt has its own traffic squad
    ("jj-zhanqian", "交警站前中队", "traffic_police", ["illegal_parking"], ["@青禾火车站"]),
    # local exception: order around the coach station is kept by transport enforcement
    ("jt-zhifa", "县交通运输综合执法大队", "law_enforcement",
     ["illegal_parking", "street_vending"], ["@青禾汽车站"]),
    ("hw-chengqu", "城区环卫所", "sanitation", ["garbage"], ["G-01-01", "G-01-02"]),
    ("hw-hedong", "河东环卫所", "sanitation", ["garbage"], ["G-01-03"]),
    ("sz-county", "县市政管理所", "municipal", ["road_facility", "drainage"], ["G-01"]),
    ("yl-county", "县园林所", "landscaping", ["greenery"], ["G-01"]),
    # local exception: the park keeps its own lawns and bins
    ("yl-binjiang-park", "滨江公园管理处", "landscaping", ["greenery", "garbage"], ["@滨江公园"]),
    ("hb-county", "市生态环境局青禾分局", "environment", ["noise", "air_pollution"], ["G-01"]),
    ("sj-chengguan", "城关市场监管所", "market", ["food_safety"], ["G-01-01", "G-01-03"]),
    ("sj-chengxi", "城西市场监管所", "market", ["food_safety"], ["G-01-02"]),
    ("zj-zhian", "县住建局质安站", "housing", ["construction_site"], ["G-01"]),
    ("gy-county", "县公用事业服务中心", "utilities", ["utilities"], ["G-01"]),
    # 犬类管理 sits with the county's 城管 enforcement bureau here
    ("qg-county", "县犬类管理办公室", "law_enforcement", ["animals"], ["G-01"]),
]
# then one 社区网格站 per community (wgz-<slug>, ["*"]) and the county centre.
CENTRE = ("wg-centre", "青禾县网格化服务管理中心", "community", ["*"], ["G-01"])
CHAT_ID_BASE = -1001000000000

# ---------------------------------------------------------------------------
# People for the sandbox.
# ---------------------------------------------------------------------------
RESIDENTS = ["张桂兰", "黄小明", "刘秀英", "谢文斌", "曾丽华"]
GRID_WORKERS = {  # community id -> name; 200001 must be 李建国 of 城西社区
    "G-01-02-03": "李建国",
    "G-01-01-01": "钟海燕",
    "G-01-01-02": "罗志刚",
    "G-01-01-03": "胡晓兰",
    "G-01-01-04": "温建华",
    "G-01-02-01": "邱春梅",
    "G-01-02-02": "赖国平",
    "G-01-03-01": "朱丽娟",
    "G-01-03-02": "黄德胜",
    "G-01-03-03": "郭小燕",
}
UNIT_MEMBERS = [  # (unit id, name), in tg_id order; 300001 must be 王强 of zf-chengxi
    ("zf-chengxi", "王强"), ("zf-chengxi", "曾志勇"),
    ("zf-chengguan", "刘卫东"), ("zf-chengguan", "彭建军"),
    ("zf-hedong", "谢海峰"), ("zf-hedong", "钟伟"),
    ("jj-chengqu", "罗军"), ("jj-chengqu", "邹平"),
    ("jj-hedong", "肖文辉"),
    ("jj-zhanqian", "廖志华"),
    ("jt-zhifa", "潘国庆"),
    ("hw-chengqu", "杨秀珍"), ("hw-chengqu", "叶春生"),
    ("hw-hedong", "丁桂香"),
    ("sz-county", "温志明"), ("sz-county", "钟立新"),
    ("yl-county", "刘春华"),
    ("yl-binjiang-park", "严小红"),
    ("hb-county", "蓝天明"), ("hb-county", "宋丽萍"),
    ("sj-chengguan", "黄海燕"),
    ("sj-chengxi", "邓建平"),
    ("zj-zhian", "袁志坚"),
    ("gy-county", "赖水生"), ("gy-county", "何小芳"),
    ("qg-county", "石磊"),
    ("wgz-jiefang", "周红梅"),
    ("wgz-renmin", "吴建新"),
    ("wgz-wuyi", "徐美玲"),
    ("wgz-jianshe", "孙国栋"),
    ("wgz-wufeng", "林秀云"),
    ("wgz-xishan", "赖长生"),
    ("wgz-chengxi", "郑丽君"),
    ("wgz-binjiang", "杜晓东"),
    ("wgz-dongmen", "黄春来"),
    ("wgz-hedong", "熊慧"),
    ("wg-centre", "谢国华"), ("wg-centre", "龚婷"),
]
DISPATCHERS = [("陈敏", ["dispatcher", "admin"]), ("肖卫东", ["dispatcher"])]


# ===========================================================================
# Geometry
# ===========================================================================

def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the centre -> (lon, lat) rounded to 6 decimals."""
    return (round(LON0 + x / M_PER_DEG_LON, 6), round(LAT0 + y / M_PER_DEG_LAT, 6))


def to_metres(lon: float, lat: float) -> tuple[float, float]:
    return ((lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT)


def cell_in(c: int, r: int) -> bool:
    return 0 <= c < NCOL and 0 <= r < NROW and CELL_MAP[NROW - 1 - r][c] != "."


def cell_letter(c: int, r: int) -> str:
    return CELL_MAP[NROW - 1 - r][c]


class Lattice:
    def __init__(self, rng: random.Random):
        width, height = sum(COL_W), sum(ROW_H)
        xs = [-width / 2 + sum(COL_W[:i]) for i in range(NCOL + 1)]
        ys = [-height / 2 + sum(ROW_H[:j]) for j in range(NROW + 1)]
        self.node_m: dict[tuple[int, int], tuple[float, float]] = {}
        for i in range(NCOL + 1):
            for j in range(NROW + 1):
                x = xs[i] + rng.uniform(-JITTER_M, JITTER_M)
                y = ys[j] + rng.uniform(-JITTER_M, JITTER_M)
                if i == RIVER_COL_LINE:
                    x += RIVER_MEANDER_M * math.sin(0.85 * j + 0.4)
                self.node_m[(i, j)] = (x, y)
        # snap nodes to the 6-decimal lon/lat lattice, and keep metres consistent
        self.node: dict[tuple[int, int], tuple[float, float]] = {}
        for k, (x, y) in self.node_m.items():
            ll = to_lonlat(x, y)
            self.node[k] = ll
            self.node_m[k] = to_metres(*ll)
        self.edge_mid: dict[tuple[tuple[int, int], tuple[int, int]], list[tuple[float, float]]] = {}
        self._make_edges(rng)

    def _edge_cells(self, a, b):
        (i0, j0), (i1, _j1) = a, b
        if i0 == i1:  # vertical edge between (i-1, j) and (i, j)
            return (i0 - 1, j0), (i0, j0)
        return (i0, j0 - 1), (i0, j0)  # horizontal edge between (i, j-1) and (i, j)

    def _make_edges(self, rng: random.Random) -> None:
        edges = []
        for i in range(NCOL + 1):
            for j in range(NROW):
                edges.append(((i, j), (i, j + 1)))
        for j in range(NROW + 1):
            for i in range(NCOL):
                edges.append(((i, j), (i + 1, j)))
        for a, b in edges:
            c1, c2 = self._edge_cells(a, b)
            in1, in2 = cell_in(*c1), cell_in(*c2)
            if not (in1 or in2):
                continue
            (xa, ya), (xb, yb) = self.node_m[a], self.node_m[b]
            dx, dy = xb - xa, yb - ya
            length = math.hypot(dx, dy)
            nx, ny = -dy / length, dx / length  # unit normal
            mids: list[tuple[float, float]] = []
            if a[0] == b[0] == RIVER_COL_LINE:
                amp = RIVER_WIGGLE_M * (1 if a[1] % 2 == 0 else -1) * rng.uniform(0.6, 1.0)
                for f in (0.2, 0.4, 0.6, 0.8):
                    off = amp * math.sin(math.pi * f)
                    mids.append((xa + f * dx + off * nx, ya + f * dy + off * ny))
            elif in1 != in2:  # outer boundary of the county
                for f in (1 / 3, 2 / 3):
                    off = rng.uniform(-OUTER_WIGGLE_M, OUTER_WIGGLE_M)
                    mids.append((xa + f * dx + off * nx, ya + f * dy + off * ny))
            self.edge_mid[(a, b)] = [to_lonlat(x, y) for x, y in mids]

    def edge_points(self, a, b) -> list[tuple[float, float]]:
        """Vertices from node a to node b, excluding b."""
        if (a, b) in self.edge_mid:
            return [self.node[a], *self.edge_mid[(a, b)]]
        return [self.node[a], *reversed(self.edge_mid[(b, a)])]

    def cell_polygon(self, c: int, r: int) -> Polygon:
        corners = [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1)]
        ring: list[tuple[float, float]] = []
        for k in range(4):
            ring.extend(self.edge_points(corners[k], corners[(k + 1) % 4]))
        poly = Polygon(ring)
        assert poly.is_valid, f"cell {(c, r)} invalid"
        return poly

    def at(self, s: float, t: float) -> tuple[float, float]:
        """Lattice coordinates -> metres (bilinear inside the cell)."""
        c = min(max(int(math.floor(s)), 0), NCOL - 1)
        r = min(max(int(math.floor(t)), 0), NROW - 1)
        u, v = s - c, t - r
        (x00, y00), (x10, y10) = self.node_m[(c, r)], self.node_m[(c + 1, r)]
        (x01, y01), (x11, y11) = self.node_m[(c, r + 1)], self.node_m[(c + 1, r + 1)]
        x = (1 - u) * (1 - v) * x00 + u * (1 - v) * x10 + (1 - u) * v * x01 + u * v * x11
        y = (1 - u) * (1 - v) * y00 + u * (1 - v) * y10 + (1 - u) * v * y01 + u * v * y11
        return x, y

    def at_lonlat(self, s: float, t: float) -> tuple[float, float]:
        return to_lonlat(*self.at(s, t))


def partition_community(cells: list[tuple[int, int]], sizes: list[int]) -> list[frozenset]:
    """Cut a community's cells into connected pieces with the given sizes.

    Pieces are found north-west first; backtracking keeps the requested order of
    sizes where it can.
    """
    assert sum(sizes) == len(cells), (cells, sizes)

    def key(cell):
        return (-cell[1], cell[0])

    def neighbours(cell):
        c, r = cell
        return [(c + 1, r), (c, r - 1), (c - 1, r), (c, r + 1)]

    def shapes(start, k, free):
        found = []
        seen = {frozenset([start])}
        frontier = [frozenset([start])]
        while frontier:
            cur = frontier.pop(0)
            if len(cur) == k:
                found.append(cur)
                continue
            for cell in sorted(cur, key=key):
                for n in neighbours(cell):
                    if n in free and n not in cur:
                        nxt = cur | {n}
                        if nxt not in seen:
                            seen.add(nxt)
                            frontier.append(nxt)
        return found

    def rec(free: frozenset, sizes_left: list[int]):
        if not free:
            return []
        start = min(free, key=key)
        order = [sizes_left[0]] + sorted(set(sizes_left[1:]) - {sizes_left[0]})
        for k in order:
            for piece in shapes(start, k, free):
                rest = list(sizes_left)
                rest.remove(k)
                sub = rec(free - piece, rest)
                if sub is not None:
                    return [piece, *sub]
        return None

    result = rec(frozenset(cells), list(sizes))
    if result is None:
        raise SystemExit(f"cannot cut community cells {cells} into {sizes}")
    return result


def round_geom(geom):
    """Python's round() per coordinate (a no-op on the lattice, which is already rounded)."""
    return shapely.transform(
        geom, lambda a: [[round(float(x), 6), round(float(y), 6)] for x, y in a])


def lonlat_to_m_geom(geom):
    return shapely.transform(
        geom, lambda a: [[(x - LON0) * M_PER_DEG_LON, (y - LAT0) * M_PER_DEG_LAT] for x, y in a])


# ===========================================================================
# Build
# ===========================================================================

def build():
    rng = random.Random(SEED)
    lat = Lattice(rng)

    grids: dict[str, dict] = {}  # id -> {name, level, parent, geom, places, ...}
    cell_to_grid: dict[tuple[int, int], str] = {}

    grids[COUNTY[0]] = {"name": COUNTY[1], "level": 1, "parent": None}
    for sid, sname, _slug in STREETS:
        grids[sid] = {"name": sname, "level": 2, "parent": COUNTY[0]}
    for letter, (cid, cname, _slug, sizes) in COMMUNITIES.items():
        grids[cid] = {"name": cname, "level": 3, "parent": cid.rsplit("-", 1)[0]}
        cells = [(c, r) for r in range(NROW) for c in range(NCOL)
                 if cell_in(c, r) and cell_letter(c, r) == letter]
        pieces = partition_community(cells, sizes)
        for n, piece in enumerate(pieces, start=1):
            gid = f"{cid}-{n:02d}"
            geom = unary_union([lat.cell_polygon(*cell) for cell in piece])
            grids[gid] = {"name": f"{cname}第{n}网格", "level": 4, "parent": cid,
                          "geom": geom, "cells": sorted(piece), "places": []}
            for cell in piece:
                cell_to_grid[cell] = gid
    assert set(COMMUNITIES.keys()) | {"."} == set("".join(CELL_MAP)), "map letters"

    # parents are exact unions of their children
    for level in (3, 2, 1):
        for gid, g in grids.items():
            if g["level"] == level:
                kids = [k["geom"] for k in grids.values() if k["parent"] == gid]
                g["geom"] = unary_union(kids)
    for g in grids.values():
        geom = round_geom(g["geom"])
        if geom.geom_type == "Polygon":
            geom = orient(geom, 1.0)  # RFC 7946: exterior counter-clockwise
        g["geom"] = geom

    add_places(lat, grids, cell_to_grid, rng)
    return grids


def add_places(lat: Lattice, grids: dict, cell_to_grid: dict, rng: random.Random) -> None:
    unit_grids = {gid: g for gid, g in grids.items() if g["level"] == 4}

    def place(name, kind, aliases, lon, lat_):
        return {"name": name, "kind": kind, "aliases": list(aliases), "lon": lon, "lat": lat_}

    def ok_point(gid, lon, lat_, margin_m=25.0):
        g = unit_grids[gid]
        p = Point(lon, lat_)
        if not g["geom"].contains(p):
            return False
        gm = lonlat_to_m_geom(g["geom"])
        pm = Point(*to_metres(lon, lat_))
        if gm.exterior.distance(pm) < margin_m:
            return False
        for other in g["places"]:
            if math.dist(to_metres(other["lon"], other["lat"]), to_metres(lon, lat_)) < 20.0:
                return False
        return True

    # 1. points of interest at fixed lattice spots
    for letter, c, r, u, v, name, kind, aliases in POIS:
        assert cell_in(c, r) and cell_letter(c, r) == letter, (name, c, r, letter)
        gid = cell_to_grid[(c, r)]
        lon, lat_ = lat.at_lonlat(c + u, r + v)
        if not ok_point(gid, lon, lat_):
            raise SystemExit(f"place {name} at {(lon, lat_)} is not well inside {gid}")
        unit_grids[gid]["places"].append(place(name, kind, aliases, lon, lat_))

    # 2. roads: one entry per unit grid crossed, with that grid's own point
    for name, kind, aliases, pts, min_len in ROADS:
        dense = []
        for (s0, t0), (s1, t1) in zip(pts, pts[1:], strict=False):
            steps = max(2, int(math.hypot(s1 - s0, t1 - t0) / 0.05))
            for k in range(steps + 1):
                f = k / steps
                dense.append(to_metres(*lat.at_lonlat(s0 + f * (s1 - s0), t0 + f * (t1 - t0))))
        line_m = LineString(dense)
        hits = []
        for gid, g in unit_grids.items():
            gm = lonlat_to_m_geom(g["geom"])
            inter = gm.intersection(line_m)
            if inter.is_empty or inter.length < min_len:
                continue
            pieces = list(inter.geoms) if isinstance(inter, MultiLineString) else [inter]
            pieces = [p for p in pieces if p.geom_type == "LineString"]
            longest = max(pieces, key=lambda p: p.length)
            for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65):
                pm = longest.interpolate(f, normalized=True)
                lon, lat_ = to_lonlat(pm.x, pm.y)
                if ok_point(gid, lon, lat_, margin_m=15.0):
                    break
            else:
                raise SystemExit(f"no good point for road {name} in {gid}")
            hits.append((gid, inter.length, lon, lat_))
        if not hits:
            raise SystemExit(f"road {name} crosses no unit grid")
        for gid, _length, lon, lat_ in hits:
            unit_grids[gid]["places"].append(place(name, kind, aliases, lon, lat_))

    # 3. extra places: fill the emptiest grid of the community
    for letter, extras in EXTRA_PLACES.items():
        cid = COMMUNITIES[letter][0]
        for name, kind, aliases in extras:
            mine = sorted((g for g in unit_grids if unit_grids[g]["parent"] == cid),
                          key=lambda g: (len(unit_grids[g]["places"]), g))
            gid = mine[0]
            minx, miny, maxx, maxy = unit_grids[gid]["geom"].bounds
            for _ in range(2000):
                lon = round(rng.uniform(minx, maxx), 6)
                lat_ = round(rng.uniform(miny, maxy), 6)
                if ok_point(gid, lon, lat_, margin_m=60.0):
                    break
            else:
                raise SystemExit(f"no point for {name} in {gid}")
            unit_grids[gid]["places"].append(place(name, kind, aliases, lon, lat_))


# ===========================================================================
# Units and people
# ===========================================================================

def resolve_units(grids: dict) -> list[dict]:
    where = {}
    for gid, g in grids.items():
        for p in g.get("places", []):
            where.setdefault(p["name"], gid)
    rows = list(UNITS)
    for cid, cname, slug, _sizes in COMMUNITIES.values():
        rows.append((f"wgz-{slug}", f"{cname}网格站", "community", ["*"], [cid]))
    rows.append(CENTRE)
    units = []
    for n, (uid, name, kind, cats, gl) in enumerate(rows, start=1):
        resolved = []
        for g in gl:
            if g.startswith("@"):
                if g[1:] not in where:
                    raise SystemExit(f"unit {uid}: no place {g[1:]}")
                resolved.append(where[g[1:]])
            else:
                resolved.append(g)
        units.append({"id": uid, "name": name, "kind": kind, "chat_id": CHAT_ID_BASE - n,
                      "categories": list(cats), "grids": resolved})
    return units


def build_people(grids: dict, units: list[dict]) -> list[dict]:
    members = []
    for n, name in enumerate(RESIDENTS, start=1):
        members.append({"tg_id": 100000 + n, "name": name, "roles": ["resident"]})
    for n, (cid, name) in enumerate(GRID_WORKERS.items(), start=1):
        mine = sorted(g for g, v in grids.items() if v["parent"] == cid and v["level"] == 4)
        if cid == "G-01-02-03":  # 李建国 walks 城西社区第3网格 first
            mine.remove("G-01-02-03-03")
            mine.insert(0, "G-01-02-03-03")
        members.append({"tg_id": 200000 + n, "name": name, "roles": ["grid_worker"],
                        "grids": mine})
    unit_ids = {u["id"] for u in units}
    for n, (uid, name) in enumerate(UNIT_MEMBERS, start=1):
        assert uid in unit_ids, uid
        members.append({"tg_id": 300000 + n, "name": name, "roles": ["unit_member"],
                        "units": [uid]})
    for n, (name, roles) in enumerate(DISPATCHERS, start=1):
        members.append({"tg_id": 400000 + n, "name": name, "roles": roles})
    return members


# ===========================================================================
# Routing rule (interfaces.md)
# ===========================================================================

def ancestors(grids: dict, gid: str) -> list[str]:
    """gid and its ancestors, deepest first."""
    out = []
    while gid is not None:
        out.append(gid)
        gid = grids[gid]["parent"]
    return out


def route(grids: dict, units: list[dict], gid: str, category: str):
    """(winner unit id or None, error message or None)."""
    chain = ancestors(grids, gid)
    depth = {g: grids[g]["level"] for g in chain}
    named, star = [], []
    for u in units:
        matching = [g for g in u["grids"] if g in depth]
        if not matching:
            continue
        d = max(depth[g] for g in matching)
        if category in u["categories"]:
            named.append((d, u["id"]))
        elif "*" in u["categories"]:
            star.append((d, u["id"]))
    group = named or star
    if not group:
        return None, f"no unit for {category} in {gid}"
    best = max(d for d, _ in group)
    winners = sorted(uid for d, uid in group if d == best)
    if len(winners) > 1:
        return None, f"tie for {category} in {gid}: {', '.join(winners)}"
    return winners[0], None


def load_categories() -> list[str]:
    for p in TAXONOMY_CANDIDATES:
        if p.exists():
            return [c["id"] for c in yaml.safe_load(p.read_text(encoding="utf-8"))["categories"]]
    raise SystemExit("taxonomy.yaml not found")


# ===========================================================================
# Writing
# ===========================================================================

def geojson_text(grids: dict) -> str:
    features = []
    for gid in sorted(grids, key=lambda g: (grids[g]["level"], g)):
        g = grids[gid]
        geom = mapping(g["geom"])
        features.append({
            "type": "Feature",
            "properties": {"id": gid, "name": g["name"], "level": g["level"],
                           "parent": g["parent"], "places": g.get("places", [])},
            "geometry": {"type": geom["type"], "coordinates": _lists(geom["coordinates"])},
        })
    fc = {"type": "FeatureCollection",
          "name": "青禾县网格 (demo, invented)",
          "features": features}
    # one feature per line block: readable diffs, modest size
    lines = ['{"type": "FeatureCollection",',
             f' "name": {json.dumps(fc["name"], ensure_ascii=False)},',
             ' "features": [']
    for k, f in enumerate(features):
        sep = "," if k < len(features) - 1 else ""
        lines.append("  " + json.dumps(f, ensure_ascii=False, separators=(",", ":")) + sep)
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


def _lists(x):
    if isinstance(x, (list, tuple)) and x and isinstance(x[0], (int, float)):
        return [round(float(v), 6) for v in x]
    return [_lists(v) for v in x]


def yaml_list(items) -> str:
    return "[" + ", ".join(json.dumps(i, ensure_ascii=False) if i == "*" else str(i)
                           for i in items) + "]"


def units_text(units: list[dict]) -> str:
    head = [
        "# 青禾县 demo: responsible units (责任单位). Generated by tools/build_demo_county.py;",
        "# edit the script, not this file.",
        "#",
        "# Routing (interfaces.md): a unit that names the category beats every \"*\" unit;",
        "# within each group the unit whose matching grid is deepest wins.  Local",
        "# exceptions below: 交警站前中队 (railway-station grid), 县交通运输综合执法大队",
        "# (coach-station grid), 滨江公园管理处 (park grid).  chat_id: sandbox groups.",
        "units:",
    ]
    out = list(head)
    for u in units:
        out += [
            f"  - id: {u['id']}",
            f"    name: {u['name']}",
            f"    kind: {u['kind']}",
            f"    chat_id: {u['chat_id']}",
            f"    categories: {yaml_list(u['categories'])}",
            f"    grids: {yaml_list(u['grids'])}",
        ]
    return "\n".join(out) + "\n"


def people_text(members: list[dict]) -> str:
    out = [
        "# 青禾县 demo: members for the chat sandbox. Generated by tools/build_demo_county.py.",
        "# tg_id 1xxxxx residents, 2xxxxx grid workers (bound to unit grids),",
        "# 3xxxxx unit members, 4xxxxx dispatchers / admins.",
        "members:",
    ]
    for m in members:
        out += [f"  - tg_id: {m['tg_id']}", f"    name: {m['name']}",
                f"    roles: {yaml_list(m['roles'])}"]
        if "grids" in m:
            out.append(f"    grids: {yaml_list(m['grids'])}")
        if "units" in m:
            out.append(f"    units: {yaml_list(m['units'])}")
    return "\n".join(out) + "\n"


# ===========================================================================
# Checks (run on the files as written)
# ===========================================================================

def check(out_dir: Path) -> list[str]:
    errors: list[str] = []
    fc = json.loads((out_dir / "county.geojson").read_text(encoding="utf-8"))
    feats = fc["features"]
    ids = [f["properties"]["id"] for f in feats]
    if len(ids) != len(set(ids)):
        errors.append("duplicate grid ids")
    grids = {}
    for f in feats:
        p = f["properties"]
        if set(p) != {"id", "name", "level", "parent", "places"}:
            errors.append(f"{p.get('id')}: properties {sorted(p)}")
        geom = shape(f["geometry"])
        for ring in _rings(f["geometry"]):
            if ring[0] != ring[-1]:
                errors.append(f"{p['id']}: ring not closed")
            if any(round(v, 6) != v for pt in ring for v in pt):
                errors.append(f"{p['id']}: coordinate not rounded to 6 decimals")
        if not geom.is_valid:
            errors.append(f"{p['id']}: invalid geometry")
        if geom.geom_type != "Polygon":
            errors.append(f"{p['id']}: {geom.geom_type} (expected one Polygon)")
        grids[p["id"]] = {"name": p["name"], "level": p["level"], "parent": p["parent"],
                          "geom": geom, "places": p["places"]}
    for gid, g in grids.items():
        if g["level"] == 1:
            if g["parent"] is not None:
                errors.append(f"{gid}: level 1 with a parent")
            continue
        par = grids.get(g["parent"])
        if par is None or par["level"] != g["level"] - 1:
            errors.append(f"{gid}: bad parent {g['parent']}")
            continue
        if not g["geom"].within(par["geom"]):
            if g["geom"].difference(par["geom"]).area > 1e-12:
                errors.append(f"{gid}: not within {g['parent']}")
    for gid, g in grids.items():
        kids = [k for k in grids.values() if k["parent"] == gid]
        if g["level"] < 4:
            if not kids:
                errors.append(f"{gid}: no children")
                continue
            for a, b in combinations(kids, 2):
                if a["geom"].intersection(b["geom"]).area > 1e-14:
                    errors.append(f"{gid}: children overlap")
            diff = abs(sum(k["geom"].area for k in kids) - g["geom"].area)
            if diff > 1e-12 or unary_union([k["geom"] for k in kids]).symmetric_difference(
                    g["geom"]).area > 1e-12:
                errors.append(f"{gid}: children do not tile it")
    all_names = set()
    for gid, g in grids.items():
        if g["level"] != 4:
            if g["places"]:
                errors.append(f"{gid}: places on a level-{g['level']} grid")
            continue
        if not 3 <= len(g["places"]) <= 8:
            errors.append(f"{gid}: {len(g['places'])} places")
        names = [p["name"] for p in g["places"]]
        if len(names) != len(set(names)):
            errors.append(f"{gid}: a place listed twice")
        for p in g["places"]:
            all_names.add(p["name"])
            if set(p) != {"name", "kind", "aliases", "lon", "lat"}:
                errors.append(f"{gid}/{p['name']}: keys {sorted(p)}")
            if p["kind"] not in PLACE_KINDS:
                errors.append(f"{gid}/{p['name']}: kind {p['kind']}")
            if not g["geom"].contains(Point(p["lon"], p["lat"])):
                errors.append(f"{gid}/{p['name']}: point outside its grid")
    for name in REQUIRED_PLACES:
        if name not in all_names:
            errors.append(f"required place {name} missing")

    units = yaml.safe_load((out_dir / "units.yaml").read_text(encoding="utf-8"))["units"]
    cats = load_categories()
    uids = [u["id"] for u in units]
    if len(uids) != len(set(uids)):
        errors.append("duplicate unit ids")
    chats = [u["chat_id"] for u in units]
    if len(chats) != len(set(chats)) or any(c >= 0 for c in chats):
        errors.append("chat_ids not distinct negative numbers")
    for u in units:
        for c in u["categories"]:
            if c != "*" and c not in cats:
                errors.append(f"unit {u['id']}: unknown category {c}")
        for g in u["grids"]:
            if g not in grids:
                errors.append(f"unit {u['id']}: unknown grid {g}")
    for gid in sorted(g for g in grids if grids[g]["level"] == 4):
        for c in cats:
            _winner, err = route(grids, units, gid, c)
            if err:
                errors.append(err)

    people = yaml.safe_load((out_dir / "people.yaml").read_text(encoding="utf-8"))["members"]
    tg = [m["tg_id"] for m in people]
    if len(tg) != len(set(tg)):
        errors.append("duplicate tg_id")
    for m in people:
        for g in m.get("grids", []):
            if g not in grids or grids[g]["level"] != 4:
                errors.append(f"member {m['name']}: bad grid {g}")
        for u in m.get("units", []):
            if u not in uids:
                errors.append(f"member {m['name']}: unknown unit {u}")
    return errors


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    else:
        for poly in geometry["coordinates"]:
            yield from poly


def summary(out_dir: Path) -> str:
    fc = json.loads((out_dir / "county.geojson").read_text(encoding="utf-8"))
    per_level = defaultdict(int)
    places = 0
    for f in fc["features"]:
        per_level[f["properties"]["level"]] += 1
        places += len(f["properties"]["places"])
    units = yaml.safe_load((out_dir / "units.yaml").read_text(encoding="utf-8"))["units"]
    people = yaml.safe_load((out_dir / "people.yaml").read_text(encoding="utf-8"))["members"]
    county = next(shape(f["geometry"]) for f in fc["features"] if f["properties"]["level"] == 1)
    minx, miny, maxx, maxy = county.bounds
    return (f"grids per level: {dict(sorted(per_level.items()))}; places: {places}; "
            f"units: {len(units)}; members: {len(people)}; "
            f"extent {((maxx - minx) * M_PER_DEG_LON / 1000):.2f} km x "
            f"{((maxy - miny) * M_PER_DEG_LAT / 1000):.2f} km, "
            f"centre ({(minx + maxx) / 2:.4f}, {(miny + maxy) / 2:.4f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    ap.add_argument("--check-only", action="store_true", help="only check existing files")
    args = ap.parse_args(argv)
    out: Path = args.out
    if not args.check_only:
        grids = build()
        units = resolve_units(grids)
        members = build_people(grids, units)
        out.mkdir(parents=True, exist_ok=True)
        init = out / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
        (out / "county.geojson").write_text(geojson_text(grids), encoding="utf-8")
        (out / "units.yaml").write_text(units_text(units), encoding="utf-8")
        (out / "people.yaml").write_text(people_text(members), encoding="utf-8")
    errors = check(out)
    print(summary(out))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        return 1
    print("all checks passed (geometry, places, routing: one winner per unit grid x category)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
