from django.shortcuts import render
from django.views.decorators.http import require_GET

from search.queries import DROPDOWN_PER_KIND, PAGE_PER_KIND, search_everything


@require_GET
def search(request):
    """The results page (`?q=`), or, for the header's live search (htmx), its dropdown."""
    text = request.GET.get("q", "")
    live = bool(request.htmx)
    results = search_everything(
        user=request.user, text=text, per_kind=DROPDOWN_PER_KIND if live else PAGE_PER_KIND
    )
    template = "search/results.html#dropdown" if live else "search/results.html"
    return render(request, template, {"results": results, "query": results.text})
