"""Mail normalisation: charsets, HTML, quoted replies, numbers, robots, signatures."""

from __future__ import annotations

import pytest

from app.gateways import charsets, extract, mailgun, mime, robots
from app.gateways.form import parse_form
from app.gateways.html_text import html_to_text
from app.gateways.normalized import RefusedMessage
from app.gateways.quotes import own_words
from tests.mail_builders import mailgun_signature

SAMPLES = [
    ("utf-8", "Wo ist mein Paket? Grüße"), ("gb2312", "我的订单还没有发货，请尽快处理"), ("gbk", "訂單還沒到，镕"),
    ("gb18030", "退货申请，商品有瑕疵"), ("big5", "請問我的訂單什麼時候出貨"), ("shift_jis", "ご注文の商品がまだ届いていません"),
    ("iso-2022-jp", "返品をお願いしたいです"), ("euc-kr", "주문한 상품이 아직 도착하지 않았습니다"),
    ("iso-8859-1", "Où est ma commande ? Merci"), ("windows-1252", "Le colis “arrivé” cassé – 20 €"),
    ("koi8-r", "Здравствуйте, где мой заказ?"),
]


@pytest.mark.parametrize(("charset", "text"), SAMPLES)
def test_declared_charsets_decode(charset, text):
    assert charsets.decode(text.encode(charset), charset) == text


def test_wrong_and_missing_charsets_are_recovered():
    assert charsets.decode("Grüße aus Köln".encode(), "us-ascii") == "Grüße aus Köln"
    assert charsets.decode("Grüße aus Köln".encode(), "iso-8859-1") == "Grüße aus Köln"
    assert charsets.decode("镕铄".encode("gbk"), "gb2312") == "镕铄"
    assert charsets.decode("ご注文の商品がまだ届いていません。追跡番号を教えてください。".encode("shift_jis"), None).startswith("ご注文の商品")
    assert charsets.decode("plain words".encode(), "x-no-such-charset") == "plain words"
    assert isinstance(charsets.decode(bytes(range(256)), "utf-8"), str)


def test_html_becomes_text_and_nothing_in_it_runs():
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>Hello &amp; thanks &eacute;t&#8217;s</p><table><tr><td>Order</td><td>028-1234567-7654321</td></tr></table>"
            "<img src=x onerror=alert(1)><br>Bye</body></html>")
    text = html_to_text(html)
    assert "Hello & thanks ét’s" in text and "Order 028-1234567-7654321" in text and text.endswith("Bye")
    assert "alert" not in text and "color" not in text and "<" not in text


@pytest.mark.parametrize("quote", [
    "On Mon, 3 Mar 2025 at 10:12, Shop <care@shop.example> wrote:\n> We shipped it yesterday.",
    "On Mon, 3 Mar 2025 at 10:12, Shop <care@shop.example>\nwrote:\n> We shipped it yesterday.",
    "Am 03.03.2025 um 10:12 schrieb Shop <care@shop.example>:\n> We shipped it yesterday.",
    "Le lun. 3 mars 2025 à 10:12, Shop <care@shop.example> a écrit :\n> We shipped it yesterday.",
    "El lun, 3 mar 2025 a las 10:12, Shop (<care@shop.example>) escribió:\n> We shipped it yesterday.",
    "Il giorno lun 3 mar 2025 alle ore 10:12 Shop <care@shop.example> ha scritto:\n> We shipped it yesterday.",
    "-----Original Message-----\nFrom: Shop\nSent: Monday\nWe shipped it yesterday.",
    "From: Shop <care@shop.example>\nSent: Monday, 3 March 2025 10:12\nTo: me\nSubject: Re: order\nWe shipped it yesterday.",
    "发件人: 店铺客服 <care@shop.example>\n发送时间: 2025年3月3日\nWe shipped it yesterday.",
    "差出人: ショップ <care@shop.example>\n送信日時: 2025年3月3日\nWe shipped it yesterday.",
    "> We shipped it yesterday.\n> Regards",
    "-- \nAlex Doe\nWe shipped it yesterday.",
    "Sent from my iPhone\n\nWe shipped it yesterday.",
    "Von meinem iPhone gesendet\nWe shipped it yesterday.",
])
def test_quoted_replies_and_signatures_are_cut(quote):
    assert own_words(f"Still nothing here, please check.\n\n{quote}") == "Still nothing here, please check."


def test_a_line_that_only_looks_like_a_header_is_kept():
    assert own_words("From: the first day it made a noise.\nPlease help") == "From: the first day it made a noise.\nPlease help"


def test_order_and_tracking_numbers_are_found():
    assert extract.order_id("Hi, order 028-1234567-7654321 is late") == "028-1234567-7654321"
    assert extract.order_id("订单号：2938475610293847561，还没发货") == "2938475610293847561"
    assert extract.order_id("京东订单号 123456789012") == "123456789012"
    assert extract.order_id("call me on 0123456789") is None
    assert extract.tracking_number("UPS 1Z999AA10123456784 stuck") == "1Z999AA10123456784"
    assert extract.tracking_number("China Post LX123456789CN") == "LX123456789CN"
    assert extract.tracking_number("顺丰 SF1234567890123") == "SF1234567890123"
    assert extract.tracking_number("追跡番号：123456789012") == "123456789012"


@pytest.mark.parametrize(("headers", "sender", "subject"), [
    ({"auto-submitted": "auto-replied"}, "a@b.example", "Re: order"),
    ({"x-autoreply": "yes"}, "a@b.example", "Re: order"),
    ({"precedence": "bulk"}, "a@b.example", "News"),
    ({}, "MAILER-DAEMON@mx.example", "Undelivered Mail Returned to Sender"),
    ({}, "a@b.example", "Automatic reply: order"),
    ({}, "a@b.example", "Abwesenheitsnotiz: Bestellung"),
])
def test_robots_are_recognised(headers, sender, subject):
    assert robots.robot_reason(headers, sender, subject) is not None


def test_a_person_is_not_a_robot():
    assert robots.robot_reason({"auto-submitted": "no"}, "anna@example.de", "Re: Bestellung") is None


def test_mime_parses_encoded_headers_and_refuses_what_cannot_be_answered():
    raw = ("From: =?utf-8?B?5byg5LiJ?= <zhang@example.cn>\r\nSubject: =?utf-8?B?6K6i5Y2V?=\r\nMessage-ID: <m1@example.cn>\r\n"
           "In-Reply-To: <r1@shop.example>\r\nReferences: <a@x> <r1@shop.example>\r\n\r\n订单号：2938475610293847561 还没发货\r\n").encode()
    mail = mime.parse(raw, channel="email")
    assert (mail.sender_name, mail.subject, mail.rfc_message_id) == ("张三", "订单", "m1@example.cn")
    assert mail.in_reply_to == ["r1@shop.example"] and mail.references == ["a@x", "r1@shop.example"]
    assert mail.order_id == "2938475610293847561"
    with pytest.raises(RefusedMessage, match="sender"):
        mime.parse(b"Subject: hi\r\n\r\nhello\r\n", channel="email")
    with pytest.raises(RefusedMessage, match="nothing to answer"):
        mime.parse(b"From: a@b.example\r\nSubject: \r\n\r\n\r\n", channel="email")


def test_mailgun_signatures_must_be_fresh_and_match():
    def form(**kw):
        fields = mailgun_signature(**kw)
        return parse_form("&".join(f"{k}={v}" for k, v in fields.items()).encode(), "application/x-www-form-urlencoded")

    key = "key-mailgun-signing-3"
    assert mailgun.signature_problem(form(), signing_key=key) is None
    assert "does not match" in mailgun.signature_problem(form(key="another"), signing_key=key)
    assert "older than 5 minutes" in mailgun.signature_problem(form(timestamp=1_000_000_000), signing_key=key)
    empty = parse_form(b"", "application/x-www-form-urlencoded")
    assert "missing" in mailgun.signature_problem(empty, signing_key=key)
