from django.urls import path

from . import views

urlpatterns = [
    path(
        "webhooks/<slug:provider>/<str:token>/",
        views.webhook_receive,
        name="webhook-receive",
    ),
    # The same without the trailing slash: a provider's POST must never meet
    # the redirect APPEND_SLASH would send, which it counts as a failure.
    path("webhooks/<slug:provider>/<str:token>", views.webhook_receive),
]
