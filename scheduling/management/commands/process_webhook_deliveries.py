from django.core.management.base import BaseCommand

from scheduling.deliveries import ProcessingFailed, delivery_process
from scheduling.models import WebhookDelivery


class Command(BaseCommand):
    help = (
        "Process stored webhook deliveries in this process, without the "
        "broker: those not yet processed, and those that failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only-pending",
            action="store_true",
            help="leave failed deliveries alone",
        )
        parser.add_argument("ids", nargs="*", type=int, help="only these deliveries")

    def handle(self, *args, **options):
        Status = WebhookDelivery.Status
        statuses = (
            [Status.RECEIVED]
            if options["only_pending"]
            else [
                Status.RECEIVED,
                Status.FAILED,
            ]
        )
        deliveries = WebhookDelivery.objects.filter(status__in=statuses).exclude(
            endpoint=None
        )
        if options["ids"]:
            deliveries = deliveries.filter(pk__in=options["ids"])
        ids = list(
            deliveries.order_by("received_at", "id").values_list("id", flat=True)
        )

        outcomes: dict[str, int] = {}
        for delivery_id in ids:
            try:
                status = delivery_process(delivery_id=delivery_id)
            except ProcessingFailed:
                status = Status.FAILED
            except Exception as error:
                # Report it and go on: one delivery must not stop the rest.
                self.stderr.write(f"delivery {delivery_id}: {error!r}")
                status = "not processed (error)"
            outcomes[status] = outcomes.get(status, 0) + 1

        summary = ", ".join(
            f"{count} {status}" for status, count in sorted(outcomes.items())
        )
        self.stdout.write(
            f"Processed {len(ids)} deliveries" + (f": {summary}" if summary else ".")
        )
