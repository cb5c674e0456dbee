"""Inbound mail formats (Postmark, SendGrid, Mailgun, raw RFC 5322), each mapped to one
NormalizedMessage. Pure functions over bytes and dicts: no HTTP, no database."""
