"""Prepayment: rules, deadlines, the awaiting-payment booking and its deadline sweep, the blacklist
(booking side); Stripe checkout, webhook and report (payment side)."""
