"""The project's URLs plus the benchmark's two reference views."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/bare/", views.bare, name="bench-bare"),
    path("bench/floor/", views.floor, name="bench-floor"),
    path("", include("bookingsync.urls")),
]
