from django.urls import path

from pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("pipeline/", views.board, name="board-default"),
    path("pipeline/<id:pipeline_id>/", views.board, name="board"),
    path("pipeline/<id:pipeline_id>/changes/", views.board_changes, name="board-changes"),
    path(
        "pipeline/<id:pipeline_id>/stages/<id:stage_id>/",
        views.board_column,
        name="board-column",
    ),
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/export.csv", views.deal_export, name="deal-export"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<id:deal_id>/", views.deal_detail, name="deal-detail"),
    path("deals/<id:deal_id>/edit/", views.deal_edit, name="deal-edit"),
    path("deals/<id:deal_id>/move/", views.deal_move, name="deal-move"),
    path("deals/<id:deal_id>/won/", views.deal_mark_won, name="deal-won"),
    path("deals/<id:deal_id>/lost/", views.deal_mark_lost, name="deal-lost"),
    path("deals/<id:deal_id>/reopen/", views.deal_reopen, name="deal-reopen"),
]
