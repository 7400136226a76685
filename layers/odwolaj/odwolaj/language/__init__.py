"""Language: what patients read and write, in Polish, as pure functions: message texts (SMS and
e-mail), GSM-7 transliteration, what a reply means (TAK, NIE, STOP), dates and phone numbers as a
Polish patient reads them. Imports nothing of odwolaj but its own modules; no I/O."""
