"""/api/v1/: the API's own URLs, outside the pages' login (a token signs each request)."""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt

from api import views
from api.api import api


def _api_view(view):
    """Every API answer is private (PrivateResponsesMiddleware only knows session users), and
    a method an address does not take is said in JSON (django-ninja says it in plain text)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {"detail": f"Method not allowed here; use {allowed}.", "errors": []}, status=405
            )
            response["Allow"] = allowed
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper


def _token_only(patterns):
    """The API's views, exempt from LoginRequiredMiddleware: a session never authenticates
    an API request; a Bearer token does (api.api.BearerToken)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _token_only(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = _api_view(pattern.callback)
            pattern.callback.login_required = False  # type: ignore[attr-defined]
    return patterns


@login_not_required
@csrf_exempt
def not_found(request, rest: str = ""):
    """Any other address under /api/: a JSON 404, like the API's own."""
    return JsonResponse({"detail": "Not found.", "errors": []}, status=404)


_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("profile/tokens/", views.token_create, name="api-token-create"),
    path("profile/tokens/<id:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
    path("api/v1/", (_token_only(_patterns), _app_name, _namespace)),
    re_path(r"^api/(?P<rest>.*)$", not_found),
]
