from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateResponsesMiddleware:
    """Keep every response to a signed-in user out of caches: browsers' back-forward and disk
    caches and shared proxies would otherwise keep deal data (pages, htmx partials, CSV
    exports) after logout or hand it to the next person.

    Anonymous responses (the login page, which Django already marks never-cache, and
    /healthz) are left alone; static files are served before the middleware runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
        return response
