"""Staff e-mail notifications against a real SMTP server on loopback: a mail goes to the people
who answer the report and no one else, says only that something waits, is never lost when the
mail server is down, and never holds up the pupil."""

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from school_report.clock import utc_now
from school_report.db import connect
from school_report.hand_overs import hand_over
from school_report.migrations import migrate
from school_report.notifications import (
    CAFILE_VARIABLE,
    CLAIM_FOR,
    PASSWORD_VARIABLE,
    MailSettings,
    MailSettingsRefused,
    _claim_due,
    deliver_outbox,
    mail_server,
    mail_settings,
    queue_digests,
    send_due_mail,
    set_mail_settings,
    waiting_counts,
)
from school_report.reports import add_pupil_message, add_staff_reply, pupil_report, submit_report
from school_report.schools import add_school
from school_report.staff import add_staff
from tests.mailbox import (
    SMTP_PASSWORD,
    SMTP_USER,
    free_port,
    mailbox_fixture,  # noqa: F401
    self_signed_certificate,
    start_mailbox,
    tls_mailbox_fixture,  # noqa: F401
    use_mail_server,
)
from tests.support import PASSWORD, SECRET, log_in, send_report, topic_id, unique
from web import notifications as web_notifications

BASE_URL = "https://report.city.example"
WORDS = "うさぎの ミミが いなくなって ねむれない"


@pytest.fixture
def school(db):
    return add_school(db, "ひがし小学校", "elementary")


def mailed_staff(db, role, school=None, notify="immediate"):
    staff = add_staff(db, unique(role), PASSWORD, role, school)
    set_mail_settings(db, staff, f"{staff.login}@city.example", notify)
    return staff


def address(staff):
    return f"{staff.login}@city.example"


def report(db, school, recipient="nurse", topic="feelings", body=WORDS):
    submit_report(db, school, topic_id(db, topic), recipient, body, submission_key=unique("k"))
    return pupil_report(db, db.execute("SELECT max(id) FROM reports").fetchone()[0])


def deliver(db, mailbox, now=None):
    server = mail_server(db)
    assert server is not None
    return deliver_outbox(db, server, BASE_URL, now)


def assert_says_nothing_of_the_report(mail, db, school, slug="feelings"):
    label_ja, label_en = db.execute(
        "SELECT label_ja, label_en FROM topics WHERE slug = ?", [slug]
    ).fetchone()
    for word in (*WORDS.split(), label_ja, label_en, school.name):
        assert word not in mail.text
    assert f"{BASE_URL}/staff" in mail.text


def test_a_new_report_mails_its_recipient_only_and_says_nothing_of_it(db, school, mailbox):
    use_mail_server(db, mailbox.port)
    nurse = mailed_staff(db, "nurse", school)
    others = [
        mailed_staff(db, "school_team", school),
        mailed_staff(db, "nurse", add_school(db, "にし中学校", "junior_high")),
        mailed_staff(db, "centre"),
        mailed_staff(db, "admin"),
    ]
    report(db, school, "nurse")
    assert deliver(db, mailbox).sent == 1
    (mail,) = mailbox.mails
    assert mail.to == [address(nurse)]
    assert all(not mailbox.to(address(other)) for other in others)
    assert_says_nothing_of_the_report(mail, db, school)
    assert mail.message["From"] == "school-report@city.example"


def test_a_pupil_writing_again_mails_who_answers_and_many_messages_make_one_mail(
    db, school, mailbox
):
    use_mail_server(db, mailbox.port)
    team = mailed_staff(db, "school_team", school)
    sent = report(db, school, "school_team", "bullying")
    deliver(db, mailbox)
    for _ in range(5):
        add_pupil_message(db, sent, "まだ こまっています")
    assert deliver(db, mailbox).sent == 1
    assert [mail.message["Subject"] for mail in mailbox.to(address(team))][1].startswith(
        "相談にメッセージが届いています"
    )
    assert all("まだ" not in mail.text for mail in mailbox.mails)


def test_an_urgent_report_reaches_whoever_answers_it_at_once_even_with_mail_switched_off(
    db, school, mailbox
):
    use_mail_server(db, mailbox.port)
    off = mailed_staff(db, "centre", notify="off")
    digest = mailed_staff(db, "centre", notify="digest")
    school_nurse_off = mailed_staff(db, "nurse", school, notify="off")
    report(db, school, "centre", "hurt_at_home")
    report(db, school, "nurse", "hurt_at_home")
    deliver(db, mailbox)
    for who in (off, digest, school_nurse_off):
        (mail,) = mailbox.to(address(who))
        assert mail.message["Subject"].startswith("【緊急】")
        assert_says_nothing_of_the_report(mail, db, school, "hurt_at_home")


def test_digest_staff_get_no_mail_per_report_but_one_digest_a_day_of_what_waits(
    db, school, mailbox
):
    use_mail_server(db, mailbox.port)
    nurse = mailed_staff(db, "nurse", school, notify="digest")
    quiet = mailed_staff(db, "school_team", school, notify="digest")
    answered, waiting = report(db, school), report(db, school)
    add_staff_reply(db, nurse, answered, "おしえてくれて ありがとう")
    assert deliver(db, mailbox).sent == 0
    later = utc_now() + timedelta(days=14)  # past three working days, whatever the holidays
    assert queue_digests(db, later) == 1
    assert queue_digests(db, later) == 0  # once a day, however often it is asked
    deliver(db, mailbox, later)
    (digest,) = mailbox.to(address(nurse))
    assert "返事を待っている相談: 1 件（うち期限を過ぎたもの: 1 件）" in digest.text
    assert not mailbox.to(address(quiet))  # nothing waits for the team: no digest
    assert waiting.id and "ありがとう" not in digest.text


def test_the_sender_queues_the_digest_at_the_citys_time_once(db, school, mailbox):
    use_mail_server(db, mailbox.port)
    nurse = mailed_staff(db, "nurse", school, notify="digest")
    report(db, school)
    db.execute("INSERT INTO city_settings (key, value) VALUES ('mail_digest_time', '\"00:00\"')")
    send_due_mail(db, BASE_URL)
    send_due_mail(db, BASE_URL)
    assert len(mailbox.to(address(nurse))) == 1


def test_no_mail_to_staff_without_an_address_or_who_switched_it_off(db, school, mailbox):
    use_mail_server(db, mailbox.port)
    add_staff(db, unique("nurse"), PASSWORD, "nurse", school)
    mailed_staff(db, "nurse", school, notify="off")
    report(db, school)
    assert deliver(db, mailbox).sent == 0 and mailbox.mails == []


def test_a_report_handed_to_the_centre_mails_the_centre_and_then_only_the_centre_answers(
    db, school, mailbox
):
    use_mail_server(db, mailbox.port)
    nurse, centre = mailed_staff(db, "nurse", school), mailed_staff(db, "centre")
    sent = report(db, school)
    hand_over(db, nurse, sent, "centre", pupil_consent="agreed", ground="consent", reason="福祉")
    deliver(db, mailbox)
    assert len(mailbox.to(address(centre))) == 1
    add_pupil_message(db, sent, "ありがとう")
    deliver(db, mailbox)
    assert len(mailbox.to(address(centre))) == 2
    assert len(mailbox.to(address(nurse))) == 1  # the first report only: the centre answers now


def test_a_down_mail_server_does_not_stop_reporting_and_the_mail_goes_later(db, school, caplog):
    port = free_port()
    use_mail_server(db, port)
    nurse = mailed_staff(db, "nurse", school)
    sent = report(db, school)  # the pupil's report is stored whatever the mail server does
    assert pupil_report(db, sent.id) is not None
    with caplog.at_level(logging.WARNING, logger="school_report.mail"):
        assert deliver(db, None).retrying == 1
    assert "trying again" in caplog.text
    assert all(word not in caplog.text for word in (*WORDS.split(), address(nurse)))
    mailbox, controller = start_mailbox(port)
    try:
        assert deliver(db, mailbox).sent == 0  # not before its retry time
        assert deliver(db, mailbox, utc_now() + timedelta(minutes=2)).sent == 1
        assert mailbox.to(address(nurse))
    finally:
        controller.stop()


def test_two_senders_at_once_send_each_mail_once_and_a_sender_that_dies_is_made_up_for(
    tmp_path, mailbox
):
    """With `serve --workers 2`, or `send-mail` from cron beside the server, two senders look
    at the outbox; a mail one has taken is not sent by the other."""
    first, second = connect(tmp_path / "city.db"), connect(tmp_path / "city.db")
    migrate(first)
    school = add_school(first, "みなみ小学校", "elementary")
    use_mail_server(first, mailbox.port)
    nurse = mailed_staff(first, "nurse", school)
    report(first, school)
    later = utc_now() + timedelta(minutes=1)
    assert deliver(first, mailbox, later).sent == 1
    assert deliver(second, mailbox, later).sent == 0
    assert len(mailbox.to(address(nurse))) == 1

    report(first, school, body="また かきます")
    taken = _claim_due(first, later)  # a sender that took the mail and then died
    assert len(taken) == 1
    assert deliver(second, mailbox, later).sent == 0
    assert deliver(second, mailbox, later + CLAIM_FOR).sent == 1
    assert len(mailbox.to(address(nurse))) == 2


def test_an_address_the_server_refuses_is_given_up_and_logged_others_still_go(
    db, school, mailbox, caplog
):
    use_mail_server(db, mailbox.port)
    wrong, right = mailed_staff(db, "nurse", school), mailed_staff(db, "nurse", school)
    mailbox.refused.add(address(wrong))
    report(db, school)
    with caplog.at_level(logging.ERROR, logger="school_report.mail"):
        result = deliver(db, mailbox, utc_now() + timedelta(days=1))
    assert (result.sent, result.failed) == (1, 1)
    assert mailbox.to(address(right)) and "refused" in caplog.text
    assert deliver(db, mailbox, utc_now() + timedelta(days=2)).sent == 0  # not retried


def test_the_smtp_password_comes_from_the_environment(db, school, mailbox, monkeypatch):
    use_mail_server(db, mailbox.port, user=SMTP_USER)
    monkeypatch.setenv(PASSWORD_VARIABLE, SMTP_PASSWORD)
    mailed_staff(db, "nurse", school)
    report(db, school)
    assert deliver(db, mailbox).sent == 1
    assert mailbox.logins == [SMTP_USER]


def test_mail_goes_over_starttls_to_a_server_whose_certificate_is_checked(
    db, school, tls_mailbox, monkeypatch
):
    monkeypatch.setenv(CAFILE_VARIABLE, str(tls_mailbox.certificate))
    monkeypatch.setenv(PASSWORD_VARIABLE, SMTP_PASSWORD)
    use_mail_server(db, tls_mailbox.mailbox.port, user=SMTP_USER, starttls=True)
    nurse = mailed_staff(db, "nurse", school)
    report(db, school)
    assert deliver(db, tls_mailbox.mailbox).sent == 1
    (mail,) = tls_mailbox.mailbox.mails
    assert mail.encrypted and mail.to == [address(nurse)]
    assert tls_mailbox.mailbox.logins == [SMTP_USER]


def test_a_server_whose_certificate_is_not_trusted_gets_no_password_and_the_mail_waits(
    db, school, tls_mailbox, tmp_path, monkeypatch, caplog
):
    stranger, _ = self_signed_certificate(tmp_path, "stranger")
    monkeypatch.setenv(CAFILE_VARIABLE, str(stranger))
    monkeypatch.setenv(PASSWORD_VARIABLE, SMTP_PASSWORD)
    use_mail_server(db, tls_mailbox.mailbox.port, user=SMTP_USER, starttls=True)
    nurse = mailed_staff(db, "nurse", school)
    sent = report(db, school)
    with caplog.at_level(logging.WARNING, logger="school_report.mail"):
        assert deliver(db, tls_mailbox.mailbox).retrying == 1
    assert "SSLCertVerificationError" in caplog.text
    assert tls_mailbox.mailbox.mails == [] and tls_mailbox.mailbox.logins == []
    assert pupil_report(db, sent.id) is not None
    monkeypatch.setenv(CAFILE_VARIABLE, str(tls_mailbox.certificate))  # the city fixes it
    assert deliver(db, tls_mailbox.mailbox, utc_now() + timedelta(minutes=2)).sent == 1
    assert tls_mailbox.mailbox.to(address(nurse))


def test_the_smtp_password_never_crosses_the_network_unencrypted(db, school, caplog):
    use_mail_server(db, 587, user=SMTP_USER, host="mail.city.example")
    mailed_staff(db, "nurse", school)
    report(db, school)
    with caplog.at_level(logging.WARNING, logger="school_report.mail"):
        assert deliver(db, None).retrying == 1  # refused before any connection is made
    assert "PlainLoginRefused" in caplog.text


def test_an_address_naming_other_recipients_gets_no_mail(db, school, mailbox, caplog):
    use_mail_server(db, mailbox.port)
    nurse = mailed_staff(db, "nurse", school)
    # Stored before addresses were checked this strictly: a list, not one address.
    sneaky = f"{address(nurse)}, thief@elsewhere.example"
    db.execute("UPDATE staff SET email = ? WHERE id = ?", [sneaky, nurse.id])
    report(db, school)
    with caplog.at_level(logging.ERROR, logger="school_report.mail"):
        assert deliver(db, mailbox).failed == 1
    assert mailbox.mails == [] and "no usable address" in caplog.text


def test_the_centre_bringing_in_a_school_mails_that_school_only(db, school, mailbox):
    use_mail_server(db, mailbox.port)
    centre, team = mailed_staff(db, "centre"), mailed_staff(db, "school_team", school)
    nurse = mailed_staff(db, "nurse", school)
    sent = report(db, school, "centre", "home")
    deliver(db, mailbox)
    assert len(mailbox.to(address(centre))) == 1 and not mailbox.to(address(team))
    hand_over(
        db, centre, sent, "school_team", pupil_consent="agreed", ground="consent", reason="見守り"
    )
    deliver(db, mailbox)
    (mail,) = mailbox.to(address(team))
    assert mail.message["Subject"].startswith("新しい相談が届いています")
    assert_says_nothing_of_the_report(mail, db, school, "home")
    assert not mailbox.to(address(nurse))


def test_an_urgent_report_referred_to_the_centre_mails_it_as_urgent(db, school, mailbox):
    use_mail_server(db, mailbox.port)
    centre = mailed_staff(db, "centre", notify="digest")  # urgent mail comes anyway
    nurse = mailed_staff(db, "nurse", school)
    sent = report(db, school, body="もう しにたい")
    deliver(db, mailbox)
    assert not mailbox.to(address(centre))
    hand_over(db, nurse, sent, "centre", pupil_consent="agreed", ground="consent", reason="緊急")
    deliver(db, mailbox)
    (mail,) = mailbox.to(address(centre))
    assert mail.message["Subject"].startswith("【緊急】") and "しにたい" not in mail.text


def test_the_digest_counts_overdue_by_the_queues_own_deadlines(db, school):
    nurse = mailed_staff(db, "nurse", school, notify="digest")
    answered = report(db, school)
    add_staff_reply(db, nurse, answered, "おしえてくれて ありがとう")
    add_pupil_message(db, answered, "また かきます")  # waits again, but had its first reply
    report(db, school)  # never answered
    assert waiting_counts(db, nurse, utc_now()) == (2, 0)
    assert waiting_counts(db, nurse, utc_now() + timedelta(days=14)) == (2, 1)


def test_no_mail_server_set_means_no_mail_and_nothing_lost(db, school):
    mailed_staff(db, "nurse", school)
    report(db, school)
    assert send_due_mail(db, BASE_URL) is None
    assert db.execute("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL").fetchone() == (1,)


@pytest.mark.parametrize(
    ("email", "notify"),
    [
        ("not an address", "immediate"),
        ("a@b", "immediate"),
        ("x@city.example", "hourly"),
        ("a,b@city.example", "immediate"),  # two recipients, not one address
        ("a;b@city.example", "immediate"),
        ('"Sato" <sato@city.example>', "immediate"),
        ("sato@city.example\x00", "immediate"),
    ],
)
def test_bad_notification_settings_are_refused_and_the_old_ones_kept(db, school, email, notify):
    nurse = mailed_staff(db, "nurse", school)
    before = mail_settings(db, nurse)
    with pytest.raises(MailSettingsRefused):
        set_mail_settings(db, nurse, email, notify)
    assert mail_settings(db, nurse) == before


# The web app: the settings page, and the mail sender that runs beside it.


@pytest.fixture
def fast_sender(monkeypatch):
    monkeypatch.setattr(web_notifications, "SEND_EVERY_SECONDS", 0.1)


def test_staff_set_their_address_and_how_often_and_a_bad_address_is_refused_kindly(client, city):
    nurse = city.staff("nurse", city.school()[0])
    csrf = log_in(client, nurse)
    page = client.get("/staff/notifications")
    assert page.status_code == 200 and "通知" in page.text
    saved = client.post(
        "/staff/notifications",
        data={"csrf_token": csrf, "email": " sato@city.example ", "notify": "digest"},
    )
    assert saved.status_code == 200 and "保存しました" in saved.text
    assert mail_settings(city.db, nurse) == MailSettings("sato@city.example", "digest")
    refused = client.post(
        "/staff/notifications",
        data={"csrf_token": csrf, "email": "sato at city", "notify": "off"},
    )
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    assert "sato at city" in refused.text  # what they typed is kept to correct
    assert mail_settings(city.db, nurse) == MailSettings("sato@city.example", "digest")


def test_the_centre_is_told_urgent_reports_come_whatever_it_chooses(client, city):
    csrf = log_in(client, city.staff("centre"))
    assert csrf and "緊急の相談は" in client.get("/staff/notifications").text


def test_the_running_app_mails_a_new_report_in_the_background(fast_sender, client, city, mailbox):
    school, token = city.school()
    nurse = city.staff("nurse", school)
    set_mail_settings(city.db, nurse, "nurse@city.example", "immediate")
    use_mail_server(city.db, mailbox.port)
    response = send_report(client, token, city.db, topic="feelings", recipient="nurse", body=WORDS)
    assert response.status_code == 200
    mail = mailbox.wait_for(1)[0]
    assert mail.to == ["nurse@city.example"]
    assert mail.message["Subject"].startswith("新しい相談が届いています")
    assert all(word not in mail.text for word in WORDS.split())
    assert "http://127.0.0.1:8000/staff" in mail.text


def test_a_pupil_reports_while_the_mail_server_is_down(fast_sender, client, city):
    school, token = city.school()
    set_mail_settings(city.db, city.staff("nurse", school), "n@city.example", "immediate")
    use_mail_server(city.db, free_port())
    response = send_report(client, token, city.db, topic="feelings", recipient="nurse")
    assert response.status_code == 200 and "code-word" in response.text
    waiting = city.db.execute(
        "SELECT count(*) FROM mail_outbox WHERE event = 'new_report' AND sent_at IS NULL"
    )
    assert waiting.fetchone() == (1,)  # kept, to be tried again


def test_the_admin_sets_the_mail_server_and_sends_due_mail_from_the_command_line(tmp_path, mailbox):
    db_path = tmp_path / "city.db"
    db = connect(db_path)
    migrate(db)
    school = add_school(db, "きた小学校", "elementary")
    mailed_staff(db, "nurse", school)
    report(db, school)
    env = {**os.environ, "SCHOOL_REPORT_SECRET": SECRET, "SCHOOL_REPORT_BASE_URL": BASE_URL}

    def admin(*args):
        command = [sys.executable, "-m", "school_admin", *args, "--db", str(db_path)]
        return subprocess.run(command, capture_output=True, text=True, env=env)

    refused = admin("mail-server", "127.0.0.1", "--port", "70000")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert mail_server(db) is None
    set_up = admin("mail-server", "127.0.0.1", "--port", str(mailbox.port), "--no-starttls")
    assert set_up.returncode == 0, set_up.stderr
    sent = admin("send-mail")
    assert sent.returncode == 0, sent.stderr
    assert "mail sent: 1" in sent.stdout
    assert f"{BASE_URL}/staff" in mailbox.mails[0].text
