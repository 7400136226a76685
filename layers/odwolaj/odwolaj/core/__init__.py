"""Core: what every other package builds on, and nothing of the domain: the clock, settings from
the environment, typed errors, ids and visit codes, the input validators (validation, phone, PESEL),
the sweeps' index shards and the conditional-write helpers (transactions). Imports no other package
of odwolaj."""
