"""The profile page's API tokens: create one (its secret shown once), revoke one."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import services
from api.access import token_for_owner
from api.forms import TokenForm
from api.queries import tokens_of
from crm.http import parse_id, toast
from teams.forms import ProfileForm


def tokens_context(user, *, form: TokenForm | None = None, secret: str = "", created=None) -> dict:
    return {
        "api_tokens": list(tokens_of(user)),
        "token_form": form or TokenForm(),
        "new_token_secret": secret,
        "new_token": created,
    }


def _render_tokens(request, context: dict, *, status: int = 200):
    if request.htmx:
        return render(request, "teams/profile.html#tokens", context, status=status)
    context["form"] = ProfileForm(instance=request.user)
    return render(request, "teams/profile.html", context, status=status)


@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render_tokens(request, tokens_context(request.user, form=form), status=400)
    token, secret = services.token_create(
        user=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
    )
    # Rendered, not redirected: the secret is in this response only, never stored.
    response = _render_tokens(request, tokens_context(request.user, secret=secret, created=token))
    return toast(response, "Token created: copy it now.") if request.htmx else response


@require_POST
def token_revoke(request, token_id: int):
    token = token_for_owner(request.user, parse_id(token_id))
    services.token_revoke(token=token, actor=request.user)
    message = f"Revoked {token.prefix}… ({token.name or 'unnamed'})."
    if request.htmx:
        return toast(_render_tokens(request, tokens_context(request.user)), message)
    messages.success(request, message)
    return redirect("profile")
