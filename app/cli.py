"""Flask CLI commands: database, catalog, staff accounts, demo data."""

import click
from flask import current_app

from .models import db


def init_cli(app) -> None:
    """Register the commands on ``app``."""

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Create the database or upgrade it to the latest schema, keeping data."""
        from .models.migrations import upgrade
        with db.connection_context():
            before, after = upgrade()
        click.echo(f"database schema: version {before} -> {after}")

    @app.cli.command("load-catalog")
    @click.option("--directory", default=None, help="Catalog data directory.")
    def load_catalog_cmd(directory):
        """Load (upsert) the service catalog from its data files."""
        from flask_babel import force_locale

        from .catalog.loader import CatalogError, load_catalog
        # The loader's messages are translated for the admin pages; here they are English.
        with db.connection_context(), force_locale("en"):
            try:
                counts = load_catalog(directory or current_app.config["CATALOG_DIR"])
            except CatalogError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo("catalog: {jurisdictions} jurisdictions, {offices} offices, {departments} "
                   "departments, {categories} categories, {items} items".format(**counts))

    @app.cli.command("create-staff")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", required=True,
                  type=click.Choice(["clerk", "officer", "supervisor", "admin", "volunteer"]))
    @click.option("--password", default=None, help="Generated and printed if omitted.")
    @click.option("--office", default=None, help="Office (window) key, for clerks and supervisors.")
    @click.option("--department", default=None, help="Department key, for department officers.")
    @click.option("--service-point", default=None, help="Service point key, for volunteers.")
    @click.option("--jurisdiction", default=None,
                  help="Jurisdiction key, for a county's admin or a city's or the province's "
                       "(read-only) supervisor.")
    def create_staff_cmd(email, name, role, password, office, department, service_point,
                         jurisdiction):
        """Create a staff account (or reset its password)."""
        from .auth import create_staff
        with db.connection_context():
            try:
                staff, password = create_staff(email, name, role, password, office=office,
                                               department=department,
                                               service_point=service_point,
                                               jurisdiction=jurisdiction)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"staff: {staff.email} ({staff.role}) password: {password}")
        if staff.must_change_password:
            click.echo("This password works for 7 days, and only to choose a new one at the "
                       "first sign-in. Any session the account had is ended.")

    @app.cli.command("reset-mfa")
    @click.option("--email", required=True)
    def reset_mfa_cmd(email):
        """Forget an account's authenticator and recovery codes (a lost phone and lost
        codes); its sessions end, and it sets up a new authenticator at the next sign-in.
        Check first that the request comes from the account's owner (in person, or by
        calling them back on their office's number): whoever holds the password enrols."""
        from .audit import record
        from .models import Staff, StaffSession
        from .clock import utcnow
        with db.connection_context(), db.atomic():
            staff = Staff.get_or_none(Staff.email == email.strip().lower())
            if staff is None:
                raise click.ClickException(f"no account {email!r}")
            Staff.update(totp_secret=None, totp_confirmed=False, totp_last_step=0,
                         recovery_codes=[]).where(Staff.id == staff.id).execute()
            StaffSession.update(ended_at=utcnow()).where(
                (StaffSession.staff == staff) & StaffSession.ended_at.is_null()).execute()
            record("mfa_reset", staff=staff, data={"by": "command line"})
        click.echo(f"{staff.email}: authenticator and recovery codes forgotten, sessions "
                   "ended; a new authenticator is set up at the next sign-in.")

    @app.cli.command("send-reminders")
    def send_reminders_cmd():
        """Remind applicants of deferred materials due soon or overdue (also run daily by huey)."""
        from .cases.reminders import send_due_reminders
        with db.connection_context():
            click.echo(f"reminders sent: {send_due_reminders()}")

    @app.cli.command("statistics-rebuild")
    def statistics_rebuild_cmd():
        """Recompute the statistics' counts from the cases, ratings and follow-ups (they are
        kept current with every change; this repairs them, e.g. after a manual data fix)."""
        from .ratings.tally import rebuild
        with db.connection_context():
            read = rebuild()
        click.echo("statistics rebuilt from " + ", ".join(f"{n} {what}" for what, n in read.items()))

    @app.cli.command("send-mail")
    def send_mail_cmd():
        """Send every email that is due now (huey's consumer does it every minute)."""
        from .cases.outbox import sweep
        with db.connection_context():
            click.echo(f"emails sent: {sweep()}")

    @app.cli.command("purge-uploads")
    def purge_uploads_cmd():
        """Delete unfinished resumable uploads past their expiry (huey runs it hourly)."""
        from .uploads.resumable import purge_expired
        with db.connection_context():
            click.echo(f"expired uploads purged: {purge_expired()}")

    @app.cli.command("load-service-points")
    @click.option("--file", "path", default=None, help="YAML file (default: the demo points).")
    def load_service_points_cmd(path):
        """Add the service points that are missing; points already there are left as edited."""
        from .points.seed import SeedError, load_service_points
        with db.connection_context():
            try:
                inserted = load_service_points(path)
            except SeedError as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"service points: {inserted} added")

    @app.cli.command("public-url")
    @click.argument("url")
    def public_url_cmd(url):
        """Keep URL as the address every process of this data directory links to (the
        run command does it; ONEVISIT_PUBLIC_URL, when set, still wins)."""
        from .config import keep_public_url
        try:
            keep_public_url(current_app.config["DATA_DIR"], url)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"public URL: {url.rstrip('/')}")

    @app.cli.command("load-demo")
    def load_demo():
        """Demo staff accounts with fresh passwords, printed once (ONEVISIT_DEMO=true)."""
        from .demo import DemoOff, load_demo_data
        with db.connection_context():
            try:
                accounts = load_demo_data()
            except DemoOff as off:
                raise click.ClickException(str(off)) from None
        click.echo("Demo staff accounts (passwords are new on every start; two-step sign-in "
                   "is set up: `flask demo-code EMAIL` prints the code to type):")
        for email, role, password in accounts:
            click.echo(f"  {role:<10} {email:<32} {password}")
        _demo_history()

    def _demo_history():
        """A year of demo cases, ratings and follow-ups, made once (``ONEVISIT_DEMO_HISTORY``:
        how many cases; 0 for none)."""
        import os
        import time
        from .demohistory import DEFAULT_SIZE, load_history
        size = int(os.environ.get("ONEVISIT_DEMO_HISTORY", DEFAULT_SIZE) or 0)
        if size <= 0:
            return
        started = time.monotonic()
        with current_app.test_request_context(), db.connection_context():
            made = load_history(size)
        base = current_app.config.get("PUBLIC_URL") or ""
        if made.get("cases"):
            click.echo(f"Demo history: {made['cases']} cases over the last 12 months, "
                       f"{made['ratings']} ratings, {made['follow_ups']} follow-ups of bad "
                       f"ones (made in {time.monotonic() - started:.0f} s).")
        else:
            click.echo(f"Demo history: {made.get('existing', 0)} demo cases already there.")
        click.echo(f"  See them at {base}/zh/statistics and {base}/staff/dashboard "
                   "(as supervisor@demo.onevisit).")

    @app.cli.command("demo-code")
    @click.argument("email")
    def demo_code(email):
        """The current two-step sign-in code of a demo account (ONEVISIT_DEMO=true)."""
        from .demo import DemoOff, current_code
        with db.connection_context():
            try:
                click.echo(current_code(email))
            except DemoOff as off:
                raise click.ClickException(str(off)) from None
