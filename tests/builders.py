"""Small builders for test objects: a tiny labelled set, message payloads, rows."""

from __future__ import annotations

import itertools
from typing import Any

from classifier.data import Example

TINY_SET: dict[str, list[str]] = {
    "cancellation": [
        "Please cancel my order, I ordered by mistake",
        "cancel pls",
        "I want to cancel the order before it ships",
        "Can I still cancel? It has not shipped yet",
        "Please cancel order 123-4567890-1234567, found it cheaper",
        "cancel the duplicate order please",
        "I no longer need it, cancel my purchase",
        "How do I cancel this order?",
        "stop my order, cancel it now",
        "Cancel the pre-order please",
        "I placed two orders by accident, please cancel one",
        "Kindly cancel my order and refund",
    ],
    "logistics_delay": [
        "Where is my parcel? It has not arrived",
        "My package is late, tracking not updated for a week",
        "The delivery has not arrived yet",
        "Tracking says delivered but I never received the parcel",
        "When will my order arrive?",
        "parcel stuck in customs for days",
        "still waiting for my package, where is it",
        "The courier never came, where is my delivery",
        "my order is two weeks late",
        "no tracking update since Monday, is it lost?",
        "Has my parcel been shipped? Nothing arrived",
        "Delivery date passed and still no package",
    ],
    "return": [
        "I want to return this, it is the wrong size",
        "How do I send it back? I changed my mind",
        "Please send me a return label",
        "The shoes do not fit, I would like to exchange them",
        "Can I return the dress, I do not like the colour",
        "I would like to return the item for a refund, it is too small",
        "what is your return policy for this order",
        "I sent the return last week, when do I get my refund",
        "return request: ordered the wrong model",
        "I want to exchange it for a bigger size",
        "Not what I expected, can I send it back unused",
        "Return please, does not fit my sofa",
    ],
    "quality": [
        "The item arrived broken",
        "The screen is cracked, I want a refund",
        "It stopped working after two days",
        "Missing parts in the box",
        "You sent me the wrong item",
        "The product is defective and leaks",
        "arrived damaged, the box was crushed and the glass shattered",
        "It is dead out of the box and will not turn on",
        "the zipper broke the first time I used it",
        "smells of chemicals and the seams are torn",
        "It looks used and scratched, not new",
        "the mug came chipped",
    ],
    "technical_support": [
        "How do I pair the headphones with my phone?",
        "The app will not connect to the device",
        "How do I reset it to factory settings?",
        "Bluetooth pairing fails, what should I do",
        "How do I install the firmware update?",
        "How do I set up the camera with wifi",
        "Error code E3 on the display, what does it mean",
        "how to charge it, the light keeps blinking",
        "Is it compatible with Windows 11? How to install the driver",
        "The app won't connect, is it broken?",
        "How do I assemble the shelf? The instructions are unclear",
        "how to change the language in the settings",
    ],
    "other": [
        "Do you have this in stock in blue?",
        "Please send me an invoice with VAT",
        "Thank you, great product!",
        "Do you ship to Canada?",
        "We offer SEO services for your shop",
        "Is this available in size XL before I buy?",
        "Can I get a discount for buying ten?",
        "Thanks for the quick reply, all good",
        "I need a receipt for my company",
        "Congratulations you won a prize click here",
        "Will you restock this soon?",
        "Just wanted to say the gift was loved",
    ],
}

TINY_PARAMS = {"min_df": 1}

_ids = itertools.count(1)


def tiny_examples() -> list[Example]:
    return [Example(text=t, label=label, lang="en") for label, texts in TINY_SET.items() for t in texts]


def message_payload(**overrides: Any) -> dict[str, Any]:
    number = next(_ids)
    payload: dict[str, Any] = {  # each a different buyer and order: no two join one conversation
        "external_id": f"msg-{number}",
        "channel": "amazon-us",
        "sender_email": f"buyer-{number}@marketplace.example",
        "sender_name": "Alex",
        "subject": "Order question",
        "body": "Where is my parcel? It has not arrived and tracking is not updated.",
        "order_id": f"123-4567890-{number:07d}",
        "marketplace": "Amazon.com",
        "context": {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"},
    }
    payload.update(overrides)
    return payload


def csrf_from(html: str) -> str:
    """The CSRF token a console page put in its forms."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


PASSWORD = "correct horse battery"
