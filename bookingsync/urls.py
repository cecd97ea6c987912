from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("scheduling.urls")),
    path("api/", include("scheduling.api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("scheduling.web.urls")),
]
