"""`gridbot hotline import`, `gridbot api` and `gridbot api-key` as an outside check drives them: stdout JSON lines, stderr summary,
exit codes, --strict, --columns, re-sends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEADER = "工单编号,受理时间,诉求内容,事发地址,诉求类型,诉求人,来电号码,经度,纬度"
GOOD = [
    "HL-1,2026-11-05 09:13:22,来电人反映：五丰菜市场门口有人占道摆摊卖水果，要求相关部门尽快处理。,五丰菜市场,投诉,张先生,13800001111,,",
    "HL-2,2026/11/5 9:13,咨询办理居住证需要哪些材料,,咨询,王先生,13700003333,,",
]
BAD = "HL-3,昨天下午,路灯坏了,,投诉,,,,"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([sys.executable, "-m", "gridbot.cli", *args], env=env, capture_output=True, timeout=180)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode(), p.stderr.decode())


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    e["GRIDBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("hotline") / "data")
    assert run(["demo", "load"], e).returncode == 0
    return e


def test_import_strict_and_resend(env: dict[str, str], tmp_path: Path) -> None:
    f = tmp_path / "orders.csv"
    f.write_bytes("\n".join([HEADER, *GOOD, BAD]).encode("gb18030"))
    strict = run(["hotline", "import", "--strict", str(f)], env)
    assert strict.returncode == 1 and "nothing imported" in strict.stderr
    assert [(r["row"], r["status"]) for r in lines(strict.stdout)] == [(3, "error")]

    r = run(["hotline", "import", str(f)], env)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert [(o["row"], o["order_no"], o["status"]) for o in out] == [
        (1, "HL-1", "created"), (2, "HL-2", "recorded"), (3, "HL-3", "error")]
    assert set(out[0]) == {"row", "order_no", "status", "case_number", "category", "grid_id", "unit_id", "error"}
    assert out[0]["unit_id"] == "zf-chengxi" and out[0]["case_number"]
    assert "受理时间" in out[2]["error"]
    assert "created 1" in r.stderr and "error 1" in r.stderr
    assert "13800001111" not in r.stdout + r.stderr and "张先生" not in r.stdout + r.stderr

    again = run(["hotline", "import", str(f)], env)
    assert [o["status"] for o in lines(again.stdout)] == ["unchanged", "unchanged", "error"]
    assert lines(again.stdout)[0]["case_number"] == out[0]["case_number"]


def test_columns_mapping_and_unreadable_files(env: dict[str, str], tmp_path: Path) -> None:
    f = tmp_path / "other.csv"
    f.write_text("单号,时间,内容\nX-1,2026-11-05 09:13,解放小区门口垃圾桶满了没人清运\n", "utf-8-sig")
    m = tmp_path / "columns.yaml"
    m.write_text("单号: 工单编号\n时间: 受理时间\n内容: 诉求内容\n", "utf-8")
    r = run(["hotline", "import", "--columns", str(m), str(f)], env)
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout)[0]["status"] == "created" and lines(r.stdout)[0]["category"] == "garbage"

    bad_map = tmp_path / "bad.yaml"
    bad_map.write_text("单号: 编号\n", "utf-8")
    r = run(["hotline", "import", "--columns", str(bad_map), str(f)], env)
    assert r.returncode == 1 and "unknown target column" in r.stderr and r.stdout == ""

    r = run(["hotline", "import", str(tmp_path / "missing.csv")], env)
    assert r.returncode == 1 and r.stderr.startswith("gridbot: error:") and r.stdout == ""
    r = run(["hotline", "import", str(f)], env)  # headers not ours and no mapping
    assert r.returncode == 1 and "工单编号" in r.stderr


def test_api_key_commands_and_the_server_prints_its_url(env: dict[str, str]) -> None:
    import re
    import signal
    import urllib.request

    created = run(["api-key", "create", "cli-app"], env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert len(key) >= 32 and "\n" not in key
    again = run(["api-key", "create", "cli-app"], env)
    assert again.returncode == 1 and again.stderr.startswith("gridbot: error:")
    assert run(["api-key", "revoke", "nobody"], env).returncode == 1
    assert run(["api-key", "revoke", "cli-app"], env).returncode == 0

    p = subprocess.Popen([sys.executable, "-m", "gridbot.cli", "api", "--port", "0"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        line = p.stdout.readline()
        m = re.match(r"gridbot api: (http://127\.0\.0\.1:\d+/open311/v2/)$", line.strip())
        assert m, line
        with urllib.request.urlopen(m.group(1) + "services.json", timeout=10) as r:
            assert r.status == 200 and json.loads(r.read())[0]["service_code"]
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=20)


def test_export_in_csv_and_xlsx(env: dict[str, str], tmp_path: Path) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    f = tmp_path / "orders.csv"
    f.write_text(HEADER + "\nEX-1,2026-11-06 10:00,来电人反映：县人民医院门口的路灯坏了好几天，晚上一片漆黑。"
                 ",县人民医院,求助,赵女士,13600004444,,\n", "utf-8")
    imported = run(["hotline", "import", str(f)], env)
    assert lines(imported.stdout)[0]["unit_id"] == "sz-county", imported.stdout
    r = run(["hotline", "export", "--since", "2000-01-01"], env)
    assert r.returncode == 0, r.stderr
    table = list(csv.reader(io.StringIO(r.stdout)))
    assert table[0][:6] == ["工单编号", "案件编号", "办理状态", "办理结果", "处置单位", "办结时间"]
    row = next(t for t in table if t[0] == "EX-1")
    assert row[1] == lines(imported.stdout)[0]["case_number"]
    assert row[2] == "已派遣" and row[3] == "办理中" and row[4] == "县市政管理所"
    assert "13600004444" not in r.stdout and "赵女士" not in r.stdout
    gb = tmp_path / "answer.csv"
    assert run(["hotline", "export", "--since", "2000-01-01", "--out", str(gb), "--encoding", "gb18030"],
               env).returncode == 0
    assert "EX-1" in gb.read_bytes().decode("gb18030")
    x = tmp_path / "answer.xlsx"
    assert run(["hotline", "export", "--since", "2000-01-01", "--out", str(x)], env).returncode == 0
    sheet = load_workbook(x).worksheets[0]
    assert "EX-1" in [c.value for c in sheet["A"]]
    bad = run(["hotline", "export", "--since", "someday"], env)
    assert bad.returncode == 1 and bad.stderr.startswith("gridbot: error:")
