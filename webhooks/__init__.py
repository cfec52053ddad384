"""Outbound webhooks: brand-registered endpoints that receive signed domain events from the outbox.

`endpoints` registers and manages endpoints (URL checks, secret shown once, sealed at rest);
`signing` builds and verifies the signature header; `dispatcher` reads the settled outbox
(events.outbox.read_settled) per endpoint and delivers in order with retries. Never imports strawberry.
"""
