"""Messaging: talking with patients and subscribers. Composing and sending queued SMS and e-mails,
replies by SMS and e-mails to the cancellation address, delivery reports, and publishing events to
the bus with their metrics. Used by handlers only; may import the aggregates (appointments,
payments, reserve) and everything below them, never use cases or the edge."""
