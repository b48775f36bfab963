from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/<id:job_id>/", views.import_detail, name="import-detail"),
    path("imports/<id:job_id>/progress/", views.import_progress, name="import-progress"),
    path("imports/<id:job_id>/errors.csv", views.import_errors_csv, name="import-errors-csv"),
    path("imports/<id:job_id>/resume/", views.import_resume, name="import-resume"),
]
