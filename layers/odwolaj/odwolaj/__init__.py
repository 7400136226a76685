"""Odwołaj's domain package, shipped as a Lambda layer and installed in development as an ordinary
package, so `import odwolaj` is the same in tests, in the local runner and on Lambda.

Its folders are its layers; each imports only from those below it (import-linter checks it, see
pyproject.toml), and a package's __init__ says what it holds and what it may import:

    edge, cli              HTTP for the clinic API and the patient pages; the admin command
    usecases, messaging    what spans aggregates or backs a page; talking with patients
    campaigns              reactivation campaigns and the rebook nudge: history, segments, sending, results
    reserve                the waiting list and its offers
    appointments           visits and their one state machine
    payments               prepayment rules, the blacklist, payment records
    security               links, rate limits, API keys
    adapters, data, language   outside services; tables, statuses and outbox items; Polish texts
    core                   clock, settings, errors, validators, transactions
"""
