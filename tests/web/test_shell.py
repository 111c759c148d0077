"""The frame around every page: the tabs' names, the web app manifest, the service worker
and the offline page (docs/web.md, Installable)."""

from __future__ import annotations

from tests.web.conftest import NewBrowser

ZH = {"accept-language": "zh-CN,zh;q=0.9"}


async def test_chats_tab_is_named_liaotian_in_chinese_not_weixin(browser_for: NewBrowser) -> None:
    alice = await browser_for("alice")
    zh = await alice.c.get("/chats", headers=ZH)
    assert zh.status_code == 200
    assert "<span>聊天</span>" in zh.text and "微信" not in zh.text
    en = await alice.page("/chats")
    assert "<span>Chats</span>" in en
