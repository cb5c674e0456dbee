"""Order and tracking numbers found in a message, for templates and for threading."""

from __future__ import annotations

import re

_AMAZON_ORDER = re.compile(r"(?<!\d)(\d{3}-\d{7}-\d{7})(?!\d)")
# Taobao/Tmall (16-19 digits) and JD (10-13 digits) numbers, only next to an order word
_LABELLED_ORDER = re.compile(
    r"(?:订单编号|订单号|订单|訂單編號|訂單號碼|訂單|注文番号|ご注文番号|order\s*(?:no\.?|number|#|id)?|"
    r"bestell(?:nummer|ung)|commande|pedido|ordine|주문번호)\s*[:：#＃nº°.]*\s*(\d{10,19})(?!\d)",
    re.IGNORECASE,
)
_TRACKING_PATTERNS = (
    re.compile(r"\b(1Z[0-9A-Z]{16})\b"),  # UPS
    re.compile(r"\b([A-Z]{2}\d{9}[A-Z]{2})\b"),  # UPU (China Post, La Poste, Royal Mail, ...)
    re.compile(r"\b(SF\d{12,13})\b"),  # SF Express
    re.compile(r"\b(JD[A-Z]?\d{11,15})\b"),  # JD Logistics
    re.compile(r"\b(YT\d{13})\b"),  # YTO
)
_LABELLED_TRACKING = re.compile(
    r"(?:tracking(?:\s*(?:no\.?|number|#|id|code))?|sendungsnummer|sendungsverfolgung|num[ée]ro de suivi|suivi|"
    r"n[úu]mero de seguimiento|seguimiento|numero di tracciamento|tracciamento|追跡番号|お問い合わせ番号|"
    r"运单号|快递单号|物流单号|單號|운송장\s*번호)\s*[:：#]*\s*([A-Z0-9]{8,30})\b",
    re.IGNORECASE,
)


_ASIN = re.compile(r"\b(B0[0-9A-Z]{8})\b")
_LABELLED_SKU = re.compile(r"\b(?:SKU|ASIN|Artikelnummer|art\.?\s*nr\.?|référence|ref\.?|商品编号|商品番号)\s*[:：#]?\s*([A-Z0-9][A-Z0-9._-]{3,40})\b",
                           re.IGNORECASE)
_SKU_CONTEXT_KEYS = ("sku", "asin", "product_sku", "item_sku", "product_id", "item_id")


def product(text: str, context: dict[str, object] | None = None) -> str | None:
    """The product a message is about: the SKU or ASIN the gateway put in the context, else an
    ASIN (B0 and eight letters or digits) or a labelled SKU in the text."""
    for key in _SKU_CONTEXT_KEYS:
        value = (context or {}).get(key)
        if isinstance(value, (str, int)) and str(value).strip():
            return str(value).strip()[:64]
    match = _ASIN.search(text) or _LABELLED_SKU.search(text)
    return match.group(1)[:64] if match else None


def order_id(text: str) -> str | None:
    match = _AMAZON_ORDER.search(text) or _LABELLED_ORDER.search(text)
    return match.group(1) if match else None


def tracking_number(text: str) -> str | None:
    labelled = _LABELLED_TRACKING.search(text)
    if labelled and any(ch.isdigit() for ch in labelled.group(1)):
        return labelled.group(1)
    for pattern in _TRACKING_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None
