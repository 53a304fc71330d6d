import factory
from django.core.files.base import ContentFile

from procedures.models import Procedure, ProcedureComponent, Role, Unit, User


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"000.{n % 100:02d}.{n // 100:02d}.T99")
    name = factory.Sequence(lambda n: f"Đơn vị thử {n}")
    block = "department"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"9.{n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử {n}")
    field = "Hộ tịch"
    level = "commune"
    processing_days = 10
    share_intake = 10
    share_appraisal = 50
    share_approval = 20
    share_signing = 10
    share_delivery = 10
    issues_result = True
    online_level = "full"

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if create and extracted:
            self.units.set(extracted)

    @factory.post_generation
    def components(self, create, extracted, **kwargs):
        """By default two required papers and one optional one."""
        if not create:
            return
        specs = (
            extracted
            if extracted is not None
            else [
                ("Tờ khai", True),
                ("Giấy tờ tùy thân", True),
                ("Giấy tờ khác", False),
            ]
        )
        for position, (name, required) in enumerate(specs):
            ProcedureComponent.objects.create(
                procedure=self, name=name, required=required, position=position
            )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CLERK
    unit = factory.SubFactory(UnitFactory)
    is_staff = True
    password = factory.django.Password("s3cret-pass-123")


def pdf_upload(tag: str = "x") -> ContentFile:
    return ContentFile(f"%PDF-1.4\n% test {tag}\n%%EOF\n".encode(), name=f"{tag}.pdf")


def regular_inspection(world):
    """A regular inspection of `world.unit` led by `world.inspector`, planned, through the
    services (the first quarter of 2025, inspected in April)."""
    from datetime import date

    from inspections import services as inspection_services

    return inspection_services.create_inspection(
        actor=world.inspector,
        unit=world.unit,
        kind="regular",
        lead=world.inspector,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        planned_start=date(2025, 4, 1),
        planned_end=date(2025, 4, 30),
        scope="Thủ tục hộ tịch",
    )
