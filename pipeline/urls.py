from django.urls import path

from pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("deals/", views.deal_list, name="deal-list"),
    path("deals/<int:deal_id>/", views.deal_detail, name="deal-detail"),
]
