"""Payments: the booking side of prepayment (rules, deadlines, the awaiting-payment booking, the
blacklist) and the payment record with its Stripe Checkout Session (checkout) and report. What a
payment does to a visit or a freed slot (the Stripe webhook, the deadline sweep) is a use case
(odwolaj.usecases). May import security, data, adapters, language and core; never appointments or
anything above it."""
