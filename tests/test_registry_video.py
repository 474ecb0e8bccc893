"""Registry rows of 今日头条, 抖音 and 快手 accounts: ids and links validated and normalised."""
from __future__ import annotations

from monitor.registry import UrlBases, validate_table
from monitor.registry.reader import RawTable

SEC = "MS4wLjABAAAAv7iSuuXDJGDvJkmH_vz1qkDZYo1apxgzaxdBSeIuPiM"
TOKEN = "MS4wLjABAAAApOspM7AnWqplD9FIBGnhJRfUjFT_msD1KZMfNPBZa-c"
SEC2 = "MS4wLjABAAAAnantongfabu0000000000000000000000000000001"
HEAD = ["名称", "平台", "主办单位", "账号ID", "访问链接"]


def _parse(*rows):
    return validate_table(RawTable(HEAD, 1, [(i + 2, list(r)) for i, r in enumerate(rows)]),
                          UrlBases(douyin="http://127.0.0.1:9/douyin", toutiao="http://127.0.0.1:9/toutiao",
                                   kuaishou="http://127.0.0.1:9/kuaishou"))


def test_ids_come_from_links_and_links_are_written_one_way():
    parsed = _parse(
        ["甲", "抖音", "某局", "", f"https://www.douyin.com/user/{SEC}?from_tab_name=main&vid=7"],
        ["乙", "今日头条", "某局", "", f"https://www.toutiao.com/c/user/token/{TOKEN}/?source=tuwen_detail"],
        ["丙", "快手", "某局", "", "https://live.kuaishou.com/profile/3xk46q9cdnvgife"],
        ["丁", "抖音", "某局", SEC2, ""],  # no link: built where the product visits
        ["戊", "快手", "某局", "KPL704668133", "https://kuaishou.com/profile/KPL704668133/"],
    )
    assert parsed.ok, [str(p) for p in parsed.invalid]
    got = [(r.values["platform"], r.values["platform_id"], r.values["profile_url"]) for r in parsed.records]
    assert got == [
        ("douyin", SEC, f"https://www.douyin.com/user/{SEC}"),
        ("toutiao", TOKEN, f"https://www.toutiao.com/c/user/token/{TOKEN}/"),
        ("kuaishou", "3xk46q9cdnvgife", "https://www.kuaishou.com/profile/3xk46q9cdnvgife"),
        ("douyin", SEC2, f"http://127.0.0.1:9/douyin/user/{SEC2}"),
        ("kuaishou", "KPL704668133", "https://www.kuaishou.com/profile/KPL704668133"),
    ]


def test_each_bad_row_gets_its_own_clear_error_and_good_rows_survive():
    parsed = _parse(
        ["甲", "抖音", "某局", "nantongfabu", ""],  # a 抖音号, not the sec_uid
        ["乙", "今日头条", "某局", "", "https://www.toutiao.com/c/user/52345678/"],  # old numeric link
        ["丙", "抖音", "某局", "", "https://v.douyin.com/iRNBho6u/"],
        ["丁", "快手", "某局", "", "https://www.douyin.com/user/" + SEC],
        ["戊", "抖音", "某局", SEC, "https://www.douyin.com/user/" + SEC.replace("v7", "x7")],
        ["己", "今日头条", "某局", "", ""],
        ["庚", "今日头条", "某局", TOKEN, ""],
    )
    errors = [str(p) for p in parsed.invalid]
    assert errors[0].startswith("row 2: 账号ID: 'nantongfabu' is not the 抖音 sec_uid (MS4wLjABAAAA…")
    assert "(a 抖音号 or numeric user id is not enough)" in errors[0]
    assert errors[1].startswith("row 3: 访问链接: 'https://www.toutiao.com/c/user/52345678/' does not name an account; "
                                "give the 头条 token")
    assert errors[2] == "row 4: 访问链接: 'https://v.douyin.com/iRNBho6u/' is a share short link; open it and give " \
                        "the profile link it leads to"
    assert errors[3].startswith("row 5: 访问链接: 'https://www.douyin.com/user/") and "is not a 快手 profile link" in errors[3]
    assert errors[4].startswith("row 6: 账号ID: ") and "differs from the id in 访问链接" in errors[4]
    assert errors[5].startswith("row 7: 账号ID: missing (the 头条 token")
    assert len(errors) == 6 and [r.row for r in parsed.records] == [8]
