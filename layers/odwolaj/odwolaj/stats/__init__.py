"""Outcome statistics: every lifecycle event counted once into a facility's daily aggregates, and
the figures the console's dashboard and GET /api/v1/stats show, read from O(days) items whatever
the number of visits (counting: event → counters; store: DynamoDB; figures: the KPIs and their
definitions; settings: the facility's threshold and visit values; rebuild: the backfill from the
records). A read model above the aggregates: may import reserve, appointments, payments,
security, adapters, data, language and core; never messaging, use cases or the edge."""
