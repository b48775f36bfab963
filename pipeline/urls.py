from django.urls import path

from pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("pipeline/", views.board, name="board-default"),
    path("pipeline/<int:pipeline_id>/", views.board, name="board"),
    path("pipeline/<int:pipeline_id>/changes/", views.board_changes, name="board-changes"),
    path(
        "pipeline/<int:pipeline_id>/stages/<int:stage_id>/",
        views.board_column,
        name="board-column",
    ),
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/export.csv", views.deal_export, name="deal-export"),
    path("deals/new/", views.deal_create, name="deal-create"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal-detail"),
    path("deals/<int:deal_id>/edit/", views.deal_edit, name="deal-edit"),
    path("deals/<int:deal_id>/move/", views.deal_move, name="deal-move"),
    path("deals/<int:deal_id>/won/", views.deal_mark_won, name="deal-won"),
    path("deals/<int:deal_id>/lost/", views.deal_mark_lost, name="deal-lost"),
    path("deals/<int:deal_id>/reopen/", views.deal_reopen, name="deal-reopen"),
]
