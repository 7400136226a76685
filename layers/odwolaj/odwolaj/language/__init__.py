"""Patient messages: texts, the GSM-7 alphabet and segment counting."""
