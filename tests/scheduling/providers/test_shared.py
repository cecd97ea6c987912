"""What every provider's endpoint guarantees, run once per provider.

Receiving: a good signature is accepted and stored exactly; a bad, missing or
stale one is refused with 401 and kept; bad input gets its own status, never
410 and never a redirect. Processing: a duplicate changes nothing, events
applied out of order end in the same state, bodies that can never parse fail
with a reason.
"""

import time

import pytest
from django.conf import settings
from django.test import override_settings

from scheduling.accounts import endpoint_create
from scheduling.deliveries import delivery_process
from scheduling.models import Booking, BookingEvent, WebhookDelivery
from tests.scheduling.providers.cases import CASES

Status = WebhookDelivery.Status


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request):
    return request.param


@pytest.fixture
def provider_endpoint(account, case):
    return endpoint_create(account=account, provider=case.name, secret=case.secret)


@pytest.fixture
def post(client, case, provider_endpoint):
    """POST a body to the case's endpoint, signed now unless told otherwise."""

    def post(body: bytes, *, headers=None, sign=True, url=None, **extra):
        all_headers = case.headers(body) if sign else {}
        all_headers.update(headers or {})
        return client.post(
            url or provider_endpoint.get_absolute_url(),
            data=body,
            content_type="application/json",
            headers=all_headers,
            **extra,
        )

    return post


@pytest.fixture
def deliver(post):
    def deliver(body: bytes) -> tuple[WebhookDelivery, str]:
        response = post(body)
        assert response.status_code == 202, response.content
        delivery_id = response.json()["delivery"]
        status = delivery_process(delivery_id=delivery_id)
        return WebhookDelivery.objects.get(pk=delivery_id), status

    return deliver


def only_delivery() -> WebhookDelivery:
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


# Signatures, as pure functions: the documented vectors.


def test_documented_signature_is_what_sign_makes(case):
    body = case.body(case.documented_body)
    made = case.module.signature_headers(
        secret=case.secret, body=body, timestamp=case.documented_at or 0
    )

    for name, value in case.documented_headers.items():
        assert made[name] == value


def test_documented_signature_verifies_at_its_time(case):
    body = case.body(case.documented_body)
    headers = {name.lower(): value for name, value in case.documented_headers.items()}

    case.module.verify(
        headers=headers,
        body=body,
        secrets=["another-secret", case.secret],
        now=float(case.documented_at or time.time()),
        max_age=60,
    )


# Receiving.


def test_good_signature_is_stored_exactly_and_accepted(case, post, provider_endpoint):
    body = case.body(case.first)
    response = post(body, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 202
    delivery = only_delivery()
    assert response.json() == {"status": "accepted", "delivery": delivery.pk}
    assert bytes(delivery.body) == body
    assert delivery.provider == case.name
    assert delivery.endpoint == provider_endpoint
    assert delivery.status == Status.RECEIVED


def test_wrong_secret_is_401_and_kept(case, post):
    body = case.body(case.first)
    response = post(body, sign=False, headers=case.headers(body, secret="wrong"))

    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    delivery = only_delivery()
    assert (delivery.status, delivery.response_status) == (Status.REJECTED, 401)
    assert bytes(delivery.body) == body


def test_signature_of_other_bytes_is_401(case, post):
    body = case.body(case.first)
    headers = case.headers(body + b" ")

    assert post(body, sign=False, headers=headers).status_code == 401


def test_missing_signature_is_401(case, post):
    response = post(case.body(case.first), sign=False)

    assert response.status_code == 401
    assert "missing" in response.json()["error"]


def test_stale_timestamp_is_401(case, post):
    if not case.has_timestamp:
        pytest.skip(f"{case.name} signatures carry no time: duplicates catch replays")
    max_age = (
        case.module.SIGNATURE_MAX_AGE_SECONDS
        or settings.WEBHOOK_SIGNATURE_MAX_AGE_SECONDS
    )
    body = case.body(case.first)
    stale = case.headers(body, timestamp=int(time.time()) - max_age - 60)
    fresh_enough = case.headers(body, timestamp=int(time.time()) - max_age + 60)

    response = post(body, sign=False, headers=stale)
    assert response.status_code == 401
    assert "seconds old" in response.json()["error"]
    assert post(body, sign=False, headers=fresh_enough).status_code == 202


def test_documented_signature_over_http(case, post):
    # Old stamps are refused; a signature with no stamp never goes stale.
    body = case.body(case.documented_body)
    response = post(body, sign=False, headers=case.documented_headers)

    assert response.status_code == (401 if case.has_timestamp else 202)


def test_unsigned_delivery_needs_the_endpoint_to_allow_it(
    case, post, provider_endpoint
):
    body = case.body(case.first)
    assert post(body, sign=False).status_code == 401

    provider_endpoint.allow_unsigned = True
    provider_endpoint.save()
    assert post(body, sign=False).status_code == 202
    # A signature that is present is still checked.
    assert post(
        body, sign=False, headers=case.headers(body, secret="x")
    ).status_code == (401)


@override_settings(WEBHOOK_MAX_BODY_BYTES=1024, WEBHOOK_REJECTED_BODY_CAP=64)
def test_oversized_body_is_413_and_kept_within_the_cap(case, post):
    body = case.body(case.first)
    assert len(body) > 1024
    response = post(body)

    assert response.status_code == 413
    delivery = only_delivery()
    assert delivery.body_size == len(body)
    assert bytes(delivery.body) == body[:64]


def test_unknown_token_is_404_never_410(case, post):
    response = post(case.body(case.first), url=f"/webhooks/{case.name}/no-such/")

    assert response.status_code == 404
    assert only_delivery().endpoint is None


def test_no_trailing_slash_is_served_not_redirected(case, post, provider_endpoint):
    url = provider_endpoint.get_absolute_url().rstrip("/")

    assert post(case.body(case.first), url=url).status_code == 202


def test_get_is_405(case, client, provider_endpoint):
    response = client.get(provider_endpoint.get_absolute_url())

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_endpoint_of_another_provider_is_404(case, post, provider_endpoint):
    other = next(c.name for c in CASES if c.name != case.name)
    url = f"/webhooks/{other}/{provider_endpoint.token}/"

    assert post(case.body(case.first), url=url).status_code == 404


# Processing.


def test_first_event_makes_a_booking_of_this_provider(case, deliver, account):
    delivery, status = deliver(case.body(case.first))

    assert status == Status.PROCESSED
    booking = Booking.objects.get(external_id=case.external_id)
    assert (booking.account, booking.provider) == (account, case.name)
    assert booking.get_provider_display() == case.module.LABEL
    assert booking.status == "scheduled"
    assert booking.starts_at is not None
    assert booking.customer is not None and "@" in booking.customer.email
    assert delivery.event_id and delivery.event_type


def test_duplicate_is_logged_once(case, deliver):
    body = case.body(case.first)
    first, first_status = deliver(body)
    second, second_status = deliver(body)

    assert (first_status, second_status) == (Status.PROCESSED, Status.DUPLICATE)
    assert second.event_id == first.event_id
    assert f"delivery {first.pk}" in second.error
    assert BookingEvent.objects.count() == 1


def test_events_out_of_order_end_in_the_same_state(case, deliver):
    deliver(case.body(case.later))
    deliver(case.body(case.first))

    booking = Booking.objects.get(external_id=case.external_id)
    assert booking.status == case.later_status
    first, later = booking.events.order_by("occurred_at")
    assert (first.applied, later.applied) == (False, True)
    # The older event still filled what the newer one left out.
    assert booking.subject


def test_invalid_utf8_is_accepted_then_fails_with_a_reason(case, deliver):
    body = case.body(case.first).replace(b"example.com", b"ex\xe1mple.com", 1)
    delivery, status = deliver(body)

    assert status == Status.FAILED
    assert "not valid UTF-8" in delivery.error
    assert bytes(delivery.body) == body


def test_invalid_json_fails_with_a_reason(case, deliver):
    delivery, status = deliver(b'{"truncated": ')

    assert status == Status.FAILED
    assert "not valid JSON" in delivery.error


def test_missing_booking_id_fails_with_a_reason(case, deliver):
    delivery, status = deliver(case.edited(case.first, case.drop_booking_id))

    assert status == Status.FAILED
    assert (
        "has no booking id" in delivery.error
        or "has no invitee uri" in (delivery.error)
        or "has no booking uid" in delivery.error
    )
    assert not Booking.objects.exists()


def test_missing_event_name_fails(case, deliver):
    def drop_name(data):
        del data[case.event_field]
        return data

    delivery, status = deliver(case.edited(case.first, drop_name))

    assert status == Status.FAILED
    assert not Booking.objects.exists()


def test_other_events_are_ignored(case, deliver):
    def rename(data):
        data[case.event_field] = case.other_event
        return data

    delivery, status = deliver(case.edited(case.first, rename))

    assert status == Status.IGNORED
    assert delivery.event_type == case.other_event
    assert not Booking.objects.exists()


def test_processing_again_changes_nothing(case, deliver):
    delivery, _ = deliver(case.body(case.first))
    before = Booking.objects.values().get()

    assert delivery_process(delivery_id=delivery.pk, force=True) == Status.PROCESSED
    after = Booking.objects.values().get()
    assert after == before
    assert BookingEvent.objects.count() == 1
