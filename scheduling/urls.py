from django.urls import re_path

from . import views

urlpatterns = [
    # The trailing slash is optional: a provider's POST must never meet a
    # redirect, which it would count as a failure.
    re_path(
        r"^webhooks/(?P<provider>[a-z0-9]+)/(?P<token>[A-Za-z0-9_-]+)/?$",
        views.webhook_receive,
        name="webhook-receive",
    ),
]
