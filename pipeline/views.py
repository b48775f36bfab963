from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from activities.queries import deal_activity_panel
from pipeline.access import can_change_deal, deal_for_user
from pipeline.models import DealStatus
from pipeline.queries import deal_timeline, deals_for_list


@require_GET
def deal_list(request):
    status = request.GET.get("status", "")
    search = request.GET.get("q", "").strip()
    page = Paginator(deals_for_list(request.user, status=status, search=search), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "pipeline/deal_list.html",
        {"page": page, "status": status, "search": search, "statuses": DealStatus.choices},
    )


@require_GET
def deal_detail(request, deal_id: int):
    deal = deal_for_user(request.user, deal_id)
    return render(
        request,
        "pipeline/deal_detail.html",
        {
            "deal": deal,
            "timeline": deal_timeline(deal),
            "can_change": can_change_deal(request.user, deal),
            "activity_panel": deal_activity_panel(deal, user=request.user),
        },
    )
