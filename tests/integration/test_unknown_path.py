"""Addresses no route has (the template's $default route): a patient link written with a capital
letter or a trailing slash reaches its page; a browser gets a Polish page with a way on; the
clinic API and the webhooks keep JSON."""
import json

import pytest

from odwolaj.security.links import link_signer


@pytest.mark.parametrize("written, meant", [
    ("/C/{token}", "/c/{token}"),  # a phone's autocorrect capitalises the first letter
    ("/c/{token}/", "/c/{token}"),
    ("/C/{token}/", "/c/{token}"),
    ("/P/{token}", "/p/{token}"),
    ("/o/{token}/", "/o/{token}"),
    ("/C", "/c"),
    ("/c/", "/c"),
])
def test_a_near_miss_of_a_patient_link_is_redirected_to_its_page(http, book, written, meant):
    token = link_signer().issue("c", book(days=3).appointment_id)

    answer = http("GET", written.format(token=token), query="done=confirmed")

    assert answer["statusCode"] == 308
    assert answer["headers"]["Location"] == meant.format(token=token) + "?done=confirmed"
    if meant.startswith("/c"):  # and there is the visit page (or the lookup)
        assert http("GET", meant.format(token=token))["statusCode"] == 200


@pytest.mark.parametrize("path", ["/", "/nie-ma-takiej-strony", "/c/x/y", "//evil.example/c/x", "/p", "/favicon.ico"])
def test_any_other_address_gets_a_polish_page_with_the_lookup_and_the_clinics_phone(http, facility, path):
    answer = http("GET", path)

    assert answer["statusCode"] == 404 and "Location" not in answer["headers"]
    page = answer["body"]
    assert '<html lang="pl">' in page and "<title>Nie znaleźliśmy tej strony" in page
    assert '<a href="/c">Znajdź wizytę po kodzie</a>' in page and 'href="tel:+48221234567"' in page
    assert answer["headers"]["Content-Security-Policy"].startswith("default-src 'none'")


def test_with_several_clinics_the_page_says_where_to_find_the_phone(http, facility):
    from odwolaj.security.facilities import create_facility

    create_facility("Przychodnia Druga", phone="+48 22 999 99 99")

    page = http("GET", "/nie-ma")["body"]

    assert 'href="tel:' not in page and "Numer telefonu przychodni znajdziesz w SMS-ie" in page


@pytest.mark.parametrize("method, path", [("GET", "/api/v2/appointments"), ("GET", "/api"),
                                          ("POST", "/webhooks/nieznany"), ("POST", "/webhooks/stripe/")])
def test_the_api_and_the_webhooks_keep_answering_json(http, method, path):
    answer = http(method, path, body="{}")

    assert answer["statusCode"] == 404 and json.loads(answer["body"]) == {"message": "Not Found"}
