"""The package's SCIM routes under /scim/v2/, where its README mounts them (and where the
`meta.location` URLs it builds point)."""

from django.urls import include, path

urlpatterns = [
    path("scim/v2/", include("django_scim2_server.urls")),
]
