"""Appointments: the visit aggregate. Input from the clinic's system (inputs), reads (store), the one
state machine every path changes a visit through (lifecycle), reminders and their sweep, and what
events and integrators see of a visit (views). May import odwolaj.payments (the booking side of
prepayment: rules, deadline, blacklist count), security, data, adapters, language and core; never
reserve, messaging, use cases or the edge."""
