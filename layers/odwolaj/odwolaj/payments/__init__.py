"""Prepayment: rules and deadlines, the awaiting-payment booking and its sweep, the blacklist,
and Stripe (checkout, webhook, late payments, the payments report)."""
