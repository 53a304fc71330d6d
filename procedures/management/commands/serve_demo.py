from django.core.management.base import BaseCommand

from config import runner


class Command(BaseCommand):
    help = (
        "Serve the demo (what `make run` runs): the web server, and a Celery worker with "
        "embedded beat running the periodic jobs through a task folder (no Redis needed). "
        "Ctrl-C stops them all."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--queue-dir",
            default=str(runner.DEFAULT_QUEUE_DIR),
            help="folder the web process and the worker exchange tasks through",
        )

    def handle(self, *args, addrport, queue_dir, **options):
        for name in runner.use_demo_intervals():
            self.stdout.write(f"Demo interval set: {name}")
        self.stdout.write(
            "Periodic jobs (worker with embedded beat): metrics and notices every minute, "
            "overdue and due-soon flags every 5 minutes; see admin → Periodic tasks."
        )
        env = runner.demo_environment(queue_dir)
        status = runner.supervise(
            {"worker": runner.worker_command(), "web": runner.web_command(addrport)}, env
        )
        raise SystemExit(status)
