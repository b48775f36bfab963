from django.core.management import call_command

from activities.models import Activity, Reminder, ReminderState
from pipeline.demo import seed_demo


def test_demo_activities_follow_the_deals_and_arm_reminders(db):
    seed_demo(deal_count=150)
    call_command("seed_demo_activities", "--if-empty")
    assert Activity.objects.filter(done=True).exists()
    open_activities = Activity.objects.filter(done=False)
    assert open_activities.exists()
    assert not open_activities.exclude(deal__status="open").exists()
    assert Reminder.objects.filter(state=ReminderState.PENDING).exists()
    count = Activity.objects.count()
    call_command("seed_demo_activities", "--if-empty")
    assert Activity.objects.count() == count
