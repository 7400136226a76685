"""Security: who may do what. Signed link tokens and the patient links built from them, rate limits,
facilities and their API keys (authentication, rights). May import odwolaj.core, odwolaj.data and
odwolaj.adapters."""
