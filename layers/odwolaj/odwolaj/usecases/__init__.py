"""Use cases: what spans aggregates or backs one page: the visit page, reception's outcome (a visit and
its waiting-list entry), the Stripe webhook and the payment deadline sweep (a payment, its visit
and its freed slot). Used by handlers only; may import the aggregates and everything below them,
never messaging or the edge."""
