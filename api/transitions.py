"""The POST endpoints of a state machine's transitions, generated from its registry
(core.transitions.Machine): one `/{lookup}/{action}/` action per entry, documented with the
entry's label and input serializer.

The viewset supplies `validate_input(serializer_class)`, `perform_transition(obj, action, note,
data)` (calling its service) and `transition_response(saved)`.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action as drf_action


def add_transition_endpoints(viewset, machine, *, response):
    """Give `viewset` one endpoint per action of `machine`; `response` documents the answer."""
    for entry in machine.actions:
        setattr(viewset, entry.name, _endpoint(entry, response))
    return viewset


def _endpoint(entry, response):
    name = entry.name

    def view(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.validate_input(entry.input_serializer)
        note = data.pop("note", "")
        saved = self.perform_transition(obj, name, note, data)
        return self.transition_response(saved)

    view.__name__ = name
    view.__doc__ = f"Transition `{name}`: {entry.label}."
    view = drf_action(
        detail=True, methods=["post"], url_path=name, url_name=name, filterset_class=None
    )(view)
    return extend_schema(
        summary=str(entry.label), request=entry.input_serializer, responses={200: response}
    )(view)
