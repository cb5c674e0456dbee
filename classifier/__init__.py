"""The classifier library: language detection, training, inference and evaluation.

It reads text and files and returns results; it knows nothing of HTTP or the database.
"""

INTENTS: tuple[str, ...] = (
    "cancellation",
    "logistics_delay",
    "return",
    "quality",
    "technical_support",
    "other",
)
