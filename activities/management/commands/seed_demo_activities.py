from django.core.management.base import BaseCommand, CommandError

from activities.demo import activities_exist, seed_demo_activities


class Command(BaseCommand):
    help = "Give the demo's deals their activities and reminders (fixed seed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when there already are activities.",
        )

    def handle(self, *args, if_empty: bool, **options):
        if activities_exist():
            if if_empty:
                self.stdout.write("There already are activities; none seeded.")
                return
            raise CommandError("There already are activities.")
        count = seed_demo_activities()
        self.stdout.write(self.style.SUCCESS(f"Demo activities ready: {count}."))
