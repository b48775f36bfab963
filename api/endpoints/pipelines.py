"""Pipelines with their stages (everyone sees every pipeline, as on the board)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from ninja import Router

from api.endpoints.common import ERRORS, reader
from api.schemas import Id, PipelineOut
from pipeline.models import Pipeline, Stage

router = Router()


def _pipelines():
    return Pipeline.objects.order_by("name", "id").prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("order", "id"))
    )


@router.get("", response={200: list[PipelineOut], **ERRORS}, summary="List pipelines")
def pipeline_list(request):
    reader(request)
    return list(_pipelines())


@router.get("/{pipeline_id}", response={200: PipelineOut, **ERRORS}, summary="One pipeline")
def pipeline_detail(request, pipeline_id: Id):
    reader(request)
    return get_object_or_404(_pipelines(), pk=pipeline_id)
