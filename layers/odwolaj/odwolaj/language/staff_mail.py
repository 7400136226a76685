"""The e-mail that invites a person of a clinic's staff to the console, in plain Polish."""
from __future__ import annotations

ROLE_NAMES = {"manager": "kierownik", "reception": "pracownik rejestracji"}


def invitation(*, facility: str, role: str, email: str, temporary_password: str, console_url: str) -> tuple[str, str]:
    """(subject, text) of the invitation: where to sign in, with what, and what happens then."""
    totp = ("Potem włączysz weryfikację dwuetapową: aplikacja w telefonie (np. Google Authenticator albo "
            "Microsoft Authenticator) będzie podawać kod do każdego logowania.\n"
            if role == "manager" else
            "Możesz też włączyć weryfikację dwuetapową (kod z aplikacji w telefonie) — zalecamy.\n")
    text = (
        "Dzień dobry,\n\n"
        f"zapraszamy do panelu Odwołaj przychodni {facility}. Rola: {ROLE_NAMES.get(role, role)}.\n\n"
        f"Adres panelu: {console_url}\n"
        f"Adres e-mail do logowania: {email}\n"
        f"Hasło tymczasowe: {temporary_password}\n\n"
        "Hasło tymczasowe jest ważne 3 dni. Przy pierwszym logowaniu ustawisz własne hasło "
        "(co najmniej 12 znaków, w tym wielka i mała litera oraz cyfra).\n"
        f"{totp}\n"
        "Jeśli nie spodziewasz się tego zaproszenia, zignoruj tę wiadomość.\n"
    )
    return f"Zaproszenie do panelu Odwołaj – {facility}", text
