from django.db.models import Prefetch
from django.db.models.query import ValuesListIterable
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.parsers import FormParser, JSONParser, MultiPartParser
from api.permissions import IsAdministratorOrReadOnly
from api.transitions import add_transition_endpoints
from digitization import services as digitization
from procedures import selectors, services
from procedures.api.filters import DossierFilter
from procedures.api.serializers import (
    DigitizeInput,
    DossierCreateSerializer,
    DossierDetailSerializer,
    DossierListSerializer,
    ProcedureSerializer,
    ResultInput,
    TransitionLogSerializer,
    UnitSerializer,
)
from procedures.models import (
    DOSSIER_MACHINE,
    TRANSITION_NAMES,
    Dossier,
    DossierComponent,
    Procedure,
    Unit,
)

CODE_PATTERN = r"[0-9A-Za-z.\-]+"
# What a list row shows (DossierListSerializer), so the list reads no other column.
LIST_COLUMNS = (
    "code",
    "channel",
    "state",
    "applicant_full_name",
    "received_at",
    "due_at",
    "completed_at",
    "supplement_count",
    "unit_id",
    "procedure__code",
    "procedure__name",
    "unit__code",
    "handler__username",
)


def _list_rows(queryset):
    return queryset.select_related("procedure", "unit", "handler").only(*LIST_COLUMNS)


class ListRow:
    """One row of a list page, built from a tuple: what DossierListSerializer reads, without the
    four model instances (dossier, procedure, unit, handler) per row the ORM would build."""

    COLUMNS = ("id", *(c for c in LIST_COLUMNS if "__" not in c))
    __slots__ = (*COLUMNS, "procedure", "unit", "handler")

    step = Dossier.step
    national_status = Dossier.national_status
    is_overdue = Dossier.is_overdue

    def __init__(self, values):
        width = len(self.COLUMNS)
        for name, value in zip(self.COLUMNS, values[:width], strict=True):
            setattr(self, name, value)
        procedure_code, procedure_name, unit_code, handler_username = values[width:]
        self.procedure = _Related(code=procedure_code, name=procedure_name)
        self.unit = _Related(code=unit_code)
        self.handler = None if handler_username is None else _Related(username=handler_username)

    @property
    def pk(self):
        return self.id


class _Related:
    def __init__(self, **values):
        self.__dict__.update(values)


class _ListRowIterable(ValuesListIterable):
    def __iter__(self):
        for values in super().__iter__():
            yield ListRow(values)


def _list_page(queryset):
    """The page's rows as ListRow objects (the query keeps its joins; only the columns shown)."""
    rows = queryset.values_list(
        *ListRow.COLUMNS, "procedure__code", "procedure__name", "unit__code", "handler__username"
    )
    rows._iterable_class = _ListRowIterable
    return rows


class CatalogueViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Readable by all staff; administrators create and edit through the catalogue services."""

    permission_classes = [IsAdministratorOrReadOnly]
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]
    orderings = ("code", "-code")
    default_ordering = "code"

    def perform_create(self, serializer):
        serializer.instance = self.save(serializer, None)

    def perform_update(self, serializer):
        serializer.instance = self.save(serializer, serializer.instance)


@extend_schema_view(
    list=extend_schema(summary="List units"),
    retrieve=extend_schema(summary="One unit"),
    create=extend_schema(summary="Create a unit (administrators)"),
    partial_update=extend_schema(summary="Change a unit (administrators)"),
)
class UnitViewSet(CatalogueViewSet):
    serializer_class = UnitSerializer
    queryset = Unit.objects.select_related("parent")
    filterset_fields = ["block", "active"]

    def save(self, serializer, unit):
        return services.save_unit(
            actor=self.request.user, data=serializer.validated_data, unit=unit
        )


@extend_schema_view(
    list=extend_schema(summary="List procedures"),
    retrieve=extend_schema(summary="One procedure with its components and handling units"),
    create=extend_schema(summary="Create a procedure (administrators)"),
    partial_update=extend_schema(summary="Change a procedure (administrators)"),
)
class ProcedureViewSet(CatalogueViewSet):
    serializer_class = ProcedureSerializer
    queryset = Procedure.objects.prefetch_related("components", "units")
    filterset_fields = ["field", "level", "online_level", "active"]

    def save(self, serializer, procedure):
        data, components, units = ProcedureSerializer.model_data(serializer.validated_data)
        saved = services.save_procedure(
            actor=self.request.user,
            data=data,
            procedure=procedure,
            components=components,
            units=units,
        )
        return self.get_queryset().get(pk=saved.pk)


class DossierViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Dossiers of the units you work in or oversee; another unit's dossier answers 404."""

    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filterset_class = DossierFilter
    orderings = ("-received_at", "received_at", "due_at", "-due_at")
    default_ordering = "-received_at"
    error_statuses = {
        **dict.fromkeys(TRANSITION_NAMES, ("409",)),
        "digitize": ("409", "413"),
        "result": ("409", "413"),
    }

    def get_queryset(self):
        queryset = selectors.dossiers_visible_to(self.request.user)
        if self.action == "list":
            return _list_rows(queryset)
        # The result document and its signer are read only when set (dossiers past signing).
        return queryset.select_related("procedure", "unit", "handler").prefetch_related(
            Prefetch(
                "components",
                queryset=DossierComponent.objects.select_related("file").order_by("position", "id"),
            )
        )

    def get_object(self):
        """One dossier for the detail and the transitions: read by selectors.dossier_for_request
        (the same rows as get_queryset's, without compiling the ORM's queries each time)."""
        if self.action != "retrieve" and self.action not in TRANSITION_NAMES:
            return super().get_object()
        dossier = selectors.dossier_for_request(self.request.user, self.kwargs[self.lookup_field])
        if dossier is None:
            raise Http404
        self.check_object_permissions(self.request, dossier)
        return dossier

    def page_rows(self, ids):
        """The rows of a list page, by the ids the pagination found (scoped and filtered there).

        Finding the ids alone lets PostgreSQL answer from the covering index on received_at
        (Dossier.Meta.indexes) without reading the rows it passes over.
        """
        return _list_page(Dossier.objects.filter(pk__in=ids))

    def pagination_parts(self, queryset):
        """The late dossiers' list in two parts, each paged from its own index (api.pagination)."""
        if self.action == "list" and self.request.query_params.get("overdue") == "true":
            return selectors.overdue_parts(queryset)
        return None

    def filter_queryset(self, queryset):
        """The list's filters apply to the list only, not to reading or acting on one dossier."""
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        if self.action == "list":
            return DossierListSerializer
        if self.action == "create":
            return DossierCreateSerializer
        return DossierDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["now"] = timezone.now()
        if self.request.user.is_authenticated:
            context["unmasked_unit_ids"] = selectors.personal_data_unit_ids(self.request.user)
        return context

    def validate_input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def detail_response(self, pk, status_code=status.HTTP_200_OK) -> Response:
        self.action = "retrieve"
        dossier = self.get_queryset().get(pk=pk)
        return Response(
            DossierDetailSerializer(dossier, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(
        summary="Register a dossier",
        request=DossierCreateSerializer,
        responses={201: DossierDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = self.validate_input(DossierCreateSerializer)
        dossier = services.create_dossier(
            actor=request.user,
            procedure=data["procedure"],
            unit=data["unit"],
            channel=data["channel"],
            applicant=data["applicant"],
            received_at=data.get("received_at"),
        )
        return self.detail_response(dossier.pk, status.HTTP_201_CREATED)

    @extend_schema(summary="List dossiers")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One dossier, with what you may do on it now")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="The dossier's transition log", responses=TransitionLogSerializer(many=True)
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, code=None):
        dossier = self.get_object()
        entries = selectors.dossier_history(dossier)
        return Response(TransitionLogSerializer(entries, many=True).data)

    @extend_schema(
        summary="Digitize a component: upload its scan or name the reused record",
        request={"multipart/form-data": DigitizeInput, "application/json": DigitizeInput},
        responses={200: DossierDetailSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"components/(?P<component_id>[0-9]+)/digitize",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        filterset_class=None,
    )
    def digitize(self, request, code=None, component_id=None):
        dossier = self.get_object()
        component = get_object_or_404(DossierComponent, pk=component_id, dossier=dossier)
        data = self.validate_input(DigitizeInput)
        digitization.digitize_component(
            component=component,
            actor=request.user,
            upload=data.get("file"),
            reused_from=data.get("reused_from", ""),
        )
        return self.detail_response(dossier.pk)

    @extend_schema(
        summary="Attach the result document (before signing)",
        request={"multipart/form-data": ResultInput},
        responses={200: DossierDetailSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
    )
    def result(self, request, code=None):
        dossier = self.get_object()
        data = self.validate_input(ResultInput)
        digitization.attach_result(dossier=dossier, actor=request.user, upload=data["file"])
        return self.detail_response(dossier.pk)

    def perform_transition(self, dossier, action, note, data):
        # `sign` signs the result (documents, PAdES) when signatures are required
        from documents.services import perform_action

        return perform_action(
            dossier=dossier, actor=self.request.user, action=action, note=note, **data
        )

    def transition_response(self, moved):
        # The service returns the saved copy, its components and related rows still loaded.
        return Response(DossierDetailSerializer(moved, context=self.get_serializer_context()).data)


add_transition_endpoints(DossierViewSet, DOSSIER_MACHINE, response=DossierDetailSerializer)
