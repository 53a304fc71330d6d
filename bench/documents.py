"""Forms and signatures: p95 to generate form 01 and to sign a 1 MB result; peak memory of
signing a 20 MB result (measured in a subprocess, from its VmHWM).

    .venv/bin/python bench/documents.py [--runs 40]

Targets: p95 < 500 ms for each; peak RSS < 200 MB. Uses its own database
(BENCH_DATABASE_URL, default motcua_bench_documents) and a throw-away key directory.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import setup_django

PASSPHRASE = "bench-passphrase"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def measure(action, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run (CPU time shows the cost without the wait for
    a core on a shared machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def report(name: str, wall: list[float], cpu: list[float]) -> None:
    print(
        f"{name}: wall p50 {statistics.median(wall):.0f} ms, p95 {p95(wall):.0f} ms; "
        f"CPU p50 {statistics.median(cpu):.0f} ms, p95 {p95(cpu):.0f} ms (target p95 < 500 ms)"
    )


def result_pdf(noise_bytes: int) -> bytes:
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 760, "QUYET DINH")
    side = int((noise_bytes / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    page.drawImage(ImageReader(image), 72, 300, width=400, height=400)
    page.showPage()
    page.save()
    return buffer.getvalue()


def signer_and_stamp(key_dir: Path):
    from django.conf import settings

    from documents.authority import create_ca, issue_certificate, pkcs12_bytes
    from documents.signing import StampText, load_signer

    settings.SIGNING_KEY_DIR = key_dir
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    ca = create_ca("Bench CA")
    credential = issue_certificate(
        ca, full_name="Trần Thị Bích", unit_name="Bench", username="bench"
    )
    (key_dir / "bench.p12").write_bytes(
        pkcs12_bytes(
            credential, name="bench", chain=[ca.certificate], passphrase=PASSPHRASE.encode()
        )
    )

    class Approver:
        username = "bench"

    stamp = StampText("Trần Thị Bích", "Phường Hồng Gai", "09:00 ngày 02/03/2026", "https://x.vn/")
    return load_signer(Approver()), stamp


def sign_once(signer, stamp, source: Path) -> None:
    from documents.signing import sign_pdf

    with source.open("rb") as stream, tempfile.TemporaryFile() as output:
        sign_pdf(stream, output, signer=signer, stamp=stamp)


def child_sign(path: str) -> None:
    """In the subprocess: sign the file and print the peak resident memory in MB."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as keys:
        signer, stamp = signer_and_stamp(Path(keys))
        sign_once(signer, stamp, Path(path))
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]) // 1024)


def dossier_for_forms():
    from procedures import services
    from procedures.models import Procedure, ProcedureComponent, Unit, User

    unit, _ = Unit.objects.get_or_create(
        code="000.20.31.H40", defaults={"name": "Phường Hồng Gai", "block": "commune"}
    )
    procedure, created = Procedure.objects.get_or_create(
        code="1.001612",
        defaults={
            "name": "Đăng ký khai sinh",
            "field": "Hộ tịch",
            "level": "commune",
            "processing_days": 10,
            "share_intake": 10,
            "share_appraisal": 50,
            "share_approval": 20,
            "share_signing": 10,
            "share_delivery": 10,
        },
    )
    if created:
        procedure.units.add(unit)
        for position, name in enumerate(["Tờ khai", "Giấy chứng sinh"]):
            ProcedureComponent.objects.create(procedure=procedure, name=name, position=position)
    clerk, _ = User.objects.get_or_create(
        username="bench-clerk", defaults={"role": "clerk", "unit": unit}
    )
    return services.create_dossier(
        actor=clerk,
        procedure=procedure,
        unit=unit,
        channel="direct",
        applicant={"full_name": "Nguyễn Văn An"},
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--child-sign", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_sign:
        child_sign(args.child_sign)
        return
    setup_django("postgres://postgres@127.0.0.1:5432/motcua_bench_documents")
    from documents.forms import render_form

    dossier = dossier_for_forms()
    render_form(dossier, "01")  # fonts registered, templates loaded
    timings, cpu = measure(lambda: render_form(dossier, "01"), args.runs)
    report("form 01", timings, cpu)

    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        one_mb, twenty_mb = work / "1mb.pdf", work / "20mb.pdf"
        one_mb.write_bytes(result_pdf(1024 * 1024))
        twenty_mb.write_bytes(result_pdf(20 * 1024 * 1024))
        (work / "keys").mkdir()
        signer, stamp = signer_and_stamp(work / "keys")
        sign_once(signer, stamp, one_mb)
        timings, cpu = measure(lambda: sign_once(signer, stamp, one_mb), args.runs)
        report(f"sign 1 MB ({one_mb.stat().st_size / 1e6:.1f} MB)", timings, cpu)
        child = subprocess.run(
            [sys.executable, __file__, "--child-sign", str(twenty_mb)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "DEBUG": "false", "SECRET_KEY": "bench-only"},
        )
        peak = child.stdout.strip().splitlines()[-1]
        print(
            f"sign 20 MB ({twenty_mb.stat().st_size / 1e6:.1f} MB): peak RSS {peak} MB "
            "(whole process: Python, Django, pyHanko; target < 200 MB)"
        )


if __name__ == "__main__":
    main()
