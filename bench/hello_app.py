"""A hello-world Flask app: the yardstick of ``bench/load.py --throughput`` (served by
gunicorn with the same settings as OneVisit)."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
