import re

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from procedures.models import Channel

ID_NUMBER = RegexValidator(r"^\d{12}$", _("A citizen ID number has exactly 12 digits."))
# Mobile (03, 05, 07, 08, 09 + 8 digits) or landline (02 + 9 digits), with 0 or +84 in front.
PHONE = re.compile(r"^(?:0|\+84)(?:[35789]\d{8}|2\d{9})$")


class RegisterForm(forms.Form):
    procedure = forms.ChoiceField(label=_("Procedure"))
    unit = forms.ChoiceField(label=_("Receiving unit"))
    channel = forms.ChoiceField(
        label=_("Handed in"),
        choices=[(Channel.DIRECT, Channel.DIRECT.label), (Channel.POSTAL, Channel.POSTAL.label)],
        initial=Channel.DIRECT,
    )
    full_name = forms.CharField(label=_("Applicant's full name"), max_length=255)
    id_number = forms.CharField(
        label=_("Citizen ID number"),
        max_length=12,
        validators=[ID_NUMBER],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    received = forms.MultipleChoiceField(
        label=_("Papers received"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, procedures, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedures = {procedure.code: procedure for procedure in procedures}
        self.fields["procedure"].choices = [("", _("Choose a procedure"))] + [
            (procedure.code, f"{procedure.code} · {procedure.name}") for procedure in procedures
        ]
        self.units = {str(unit.pk): unit for unit in units}
        self.fields["unit"].choices = [(str(unit.pk), unit.name) for unit in units]
        if len(units) == 1:
            self.fields["unit"].initial = str(units[0].pk)
        self.fields["received"].choices = [
            (str(component.pk), component.name)
            for procedure in procedures
            for component in procedure.components.all()
        ]

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_phone(self):
        phone = re.sub(r"[\s.\-]", "", self.cleaned_data["phone"])
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(
                _("Enter a Vietnamese phone number, e.g. 0912345678 or +84912345678.")
            )
        return phone

    def clean(self):
        data = super().clean()
        procedure = self.procedures.get(data.get("procedure"))
        unit = self.units.get(data.get("unit"))
        if procedure is None or unit is None:
            return data
        if unit.pk not in {handling.pk for handling in procedure.units.all()}:
            self.add_error("unit", _("This unit does not handle this procedure."))
        received = set(data.get("received") or ())
        missing = [
            component.name
            for component in procedure.components.all()
            if component.required and str(component.pk) not in received
        ]
        if missing:
            self.add_error(
                "received",
                _("A dossier is received complete. Missing required papers: %(names)s.")
                % {"names": "; ".join(missing)},
            )
        data["procedure_obj"], data["unit_obj"] = procedure, unit
        return data

    def applicant(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("full_name", "id_number", "phone", "email", "address")
        }


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(required=False, max_length=4000, widget=forms.Textarea)
    assignee = forms.CharField(required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ApologyForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the delay"), max_length=4000, widget=forms.Textarea
    )
    new_appointment_date = forms.DateField(
        label=_("New appointment date"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ReuseLookupForm(forms.Form):
    id_number = forms.CharField(
        label=_("Citizen ID number"), max_length=12, validators=[ID_NUMBER], required=False
    )
