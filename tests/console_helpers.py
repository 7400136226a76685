"""Given-steps of the console's tests: staff accounts in the (patched) moto Cognito, and a client
that walks the console's pages as a browser does (cookies kept, forms' tokens posted back)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode

from odwolaj.adapters import cognito
from odwolaj.security import audit, staff
from odwolaj_local.cognito import totp_code

PASSWORD = "Haslo-Kierownika-2030"


@dataclass
class Person:
    email: str
    sub: str
    password: str
    totp_secret: str | None = None


def enrolled(facility_id: str, email: str, role: str = staff.MANAGER, *, with_totp: bool = True) -> Person:
    """Someone who has signed in before: a permanent password and (for a manager) TOTP set up."""
    member = staff.invite(facility_id, email, role, by=audit.Actor(audit.SYSTEM)).member
    cognito.set_password(member.sub, PASSWORD, permanent=True)
    secret = None
    if with_totp:
        token = cognito.sign_in(email, PASSWORD).access_token or ""
        secret = cognito.associate_software_token(token)
        cognito.verify_software_token(token, totp_code(secret))
        cognito.prefer_totp(member.sub)
    return Person(email, member.sub, PASSWORD, secret)


def csrf_of(html: str) -> str:
    return unescape(re.search(r'name="csrf" value="([^"]+)"', html).group(1))


@dataclass
class Browser:
    """Calls the console's routes (through the template's handler) keeping cookies, like a browser."""

    http: object
    cookies: dict[str, str] = field(default_factory=dict)
    ip: str = "203.0.113.7"

    def _headers(self, extra: dict | None) -> dict:
        headers = {"host": "odw.pl", **(extra or {})}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, answer: dict) -> dict:
        for raw in answer.get("cookies") or []:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in raw:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def get(self, path: str, query: str = "", headers: dict | None = None) -> dict:
        return self._keep(self.http("GET", path, query=query, headers=self._headers(headers), source_ip=self.ip))

    def post(self, path: str, form: dict, headers: dict | None = None) -> dict:
        return self._keep(self.http("POST", path, body=urlencode(form),
                                    headers=self._headers({"content-type": "application/x-www-form-urlencoded",
                                                           **(headers or {})}), source_ip=self.ip))

    def upload(self, path: str, fields: dict[str, str | bytes]) -> dict:
        """Post a multipart/form-data form: bytes values are files (named upload.csv)."""
        boundary = "odwolaj-test-boundary"
        body = b""
        for name, value in fields.items():
            file_part = '; filename="upload.csv"\r\nContent-Type: text/csv' if isinstance(value, bytes) else ""
            content = value if isinstance(value, bytes) else value.encode()
            body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{file_part}\r\n\r\n'
                     ).encode() + content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        headers = self._headers({"content-type": f"multipart/form-data; boundary={boundary}"})
        return self._keep(self.http("POST", path, body=body, headers=headers, source_ip=self.ip))

    def submit(self, path: str, form: dict, page: str | None = None) -> dict:
        """Post a form with the token of the page it is on (GET `page`, or `path`, first)."""
        shown = self.get(page or path)
        return self.post(path, {"csrf": csrf_of(shown["body"]), **form})

    def sign_in(self, person: Person, code: str | None = None) -> dict:
        answer = self.submit("/panel/logowanie", {"email": person.email, "password": person.password})
        if answer["headers"].get("Location") == "/panel/kod":
            answer = self.submit("/panel/kod", {"code": code or totp_code(person.totp_secret)})
        return answer


def location(answer: dict) -> str | None:
    return answer["headers"].get("Location")


def signed_in_manager(http, facility_id: str) -> tuple[Browser, Person]:
    """A manager with TOTP, signed in: (their browser, them)."""
    person = enrolled(facility_id, "kierownik@a.pl")
    browser = Browser(http)
    browser.sign_in(person)
    return browser, person


def signed_in_reception(http, facility_id: str) -> Browser:
    """Someone at reception, signed in (TOTP offer skipped)."""
    browser = Browser(http)
    browser.sign_in(enrolled(facility_id, "rejestracja@a.pl", staff.RECEPTION, with_totp=False))
    browser.post("/panel/weryfikacja/pomin", {"csrf": csrf_of(browser.get("/panel/weryfikacja")["body"])})
    return browser
