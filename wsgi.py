"""Entry points: ``gunicorn wsgi:app`` serves the app; ``huey_consumer wsgi.huey`` runs its
background jobs (emails, reminders, upkeep) in the same app's context."""

from app import create_app
from app.tasks import huey

app = create_app()

__all__ = ["app", "huey"]
