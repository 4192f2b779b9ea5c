"""Track files for live-location replay: GPX, JSON, CSV and their errors."""

from __future__ import annotations

import pytest

from tgsandbox.tracks import TrackError, TrackPoint, parse_track


def test_gpx_with_times_and_without():
    timed = parse_track(
        '<gpx><trk><trkseg><trkpt lat="30" lon="120"><time>2026-01-01T00:00:00Z</time>'
        '</trkpt><trkpt lat="30.5" lon="120.5"><time>2026-01-01T00:00:10Z</time></trkpt>'
        '</trkseg></trk></gpx>', "walk.gpx")
    assert timed == [TrackPoint(30, 120, 0), TrackPoint(30.5, 120.5, 10)]
    route = parse_track('<gpx><rte><rtept lat="1" lon="2"/><rtept lat="3" lon="4"/></rte></gpx>')
    assert route == [TrackPoint(1, 2), TrackPoint(3, 4)]


def test_json_lists_objects_and_points_key():
    assert parse_track("[[30, 120], [31, 121]]") == [TrackPoint(30, 120), TrackPoint(31, 121)]
    assert parse_track('{"points": [{"latitude": 30, "longitude": 120, "t": 5},'
                       ' {"lat": 31, "lon": 121, "t": 7.5}]}', "x.json") == [
        TrackPoint(30, 120, 0), TrackPoint(31, 121, 2.5)]


def test_csv_header_comments_and_seconds():
    text = "# morning patrol\nlat,lon,t\n30,120,100\n\n30.1,120.1,160\n"
    assert parse_track(text, "p.csv") == [TrackPoint(30, 120, 0), TrackPoint(30.1, 120.1, 60)]


@pytest.mark.parametrize(("text", "name", "error"), [
    ("", "a.csv", "empty"),
    ("lat,lon\n", "a.csv", "no points"),
    ("30,120\n95,120\n", "a.csv", "line 2: 95.0, 120.0 is not a position"),
    ("30,120,0\n31,121\n", "a.csv", "either every point has a time or none"),
    ("30,120,10\n31,121,5\n", "a.csv", "line 2: time goes backwards"),
    ("30;120\n", "a.csv", "line 1: expected lat,lon"),
    ("[[30]]", "a.json", "point 1: expected"),
    ("[[30, 120, \"yesterday\"]]", "a.json", "neither seconds nor ISO 8601"),
    ("<gpx><trkpt lat='x' lon='1'/></gpx>", "a.gpx", "point 1: latitude 'x' is not a number"),
    ("<gpx>", "a.gpx", "not a valid GPX file"),
    ("{oops", "a.json", "not valid JSON"),
])
def test_errors_say_where(text, name, error):
    with pytest.raises(TrackError, match=error.replace("(", r"\(").replace(".", r"\.")):
        parse_track(text, name)
