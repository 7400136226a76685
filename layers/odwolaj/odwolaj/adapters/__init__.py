"""Adapters: the outside services behind small interfaces, each client built on first use: AWS
clients (aws), the parameter store (parameters), SMS gateways, Twilio's signature, SES, the
EventBridge bus, Stripe's SDK, Powertools idempotency. They know nothing of visits: they may import
odwolaj.core only."""
