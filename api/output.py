"""Read-only serializers that render without DRF's per-instance copy of their fields.

DRF deep-copies every declared field each time a serializer is instantiated and binds the copies
to it; on the dossier endpoints that copying costs more than reading the data. An
`OutputSerializer` keeps its declared fields as documentation (the OpenAPI schema reads them as
usual) and renders from a plan worked out once per class: each field's source path and the
unbound field's own `to_representation`. Method fields call `get_<name>` on the instance being
rendered, so the context is always the current request's.
"""

from rest_framework import serializers


class OutputSerializer(serializers.Serializer):
    def to_representation(self, instance):
        data = {}
        for name, kind, source, field in self._plan():
            if kind == "method":
                data[name] = getattr(self, f"get_{name}")(instance)
                continue
            value = instance
            for attribute in source:
                value = getattr(value, attribute, None)
                if value is None:
                    break
            if value is None:
                data[name] = None
            elif kind == "many":
                child = field.child.__class__(context=self._context)
                data[name] = [child.to_representation(item) for item in value.all()]
            elif kind == "nested":
                data[name] = field.__class__(context=self._context).to_representation(value)
            else:
                data[name] = field.to_representation(value)
        return data

    @classmethod
    def _plan(cls):
        plan = cls.__dict__.get("_output_plan")
        if plan is None:
            plan = []
            for name, field in cls._declared_fields.items():
                if isinstance(field, serializers.SerializerMethodField):
                    plan.append((name, "method", None, field))
                    continue
                source = (field.source or name).split(".")
                if isinstance(field, serializers.ListSerializer):
                    kind = "many"
                elif isinstance(field, serializers.Serializer):
                    kind = "nested"
                else:
                    kind = "plain"
                plan.append((name, kind, source, field))
            cls._output_plan = plan
        return plan
