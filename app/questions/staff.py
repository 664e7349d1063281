"""The window's side of questions: the queue, ``/staff/questions``, and a question's page,
``/staff/questions/<reference>``, with the actions on it (answer, internal note, assign,
transfer, close, reopen), each a form posted to one call of :mod:`.service`."""

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from .. import audit
from ..authz import staff, staff_question
from ..fragments import page_or_fragment
from ..models import Question, QuestionFile
from ..uploads.service import path_for
from . import queue as queues, service, thread
from .staff_blueprint import bp

def _done_message(action: str) -> str:
    return {"answer": _("The answer is sent."), "note": _("The note is added."),
            "assign": _("The question is handed over."),
            "transfer": _("The question is passed on."),
            "close": _("The question is closed."),
            "reopen": _("The question is open again.")}[action]


@bp.route("/questions")
@staff("questions")
def questions():
    """The questions of one window or department, a tab at a time, in keyset pages."""
    choices = queues.places(g.staff)
    filters = queues.parse_filters(request.args, choices)
    rows, next_cursor, counts = queues.queue(g.staff, filters, choices)
    return page_or_fragment("questions/queue.html", "questions/partial/queue_table.html",
                            questions=rows, next_cursor=next_cursor, counts=counts,
                            filters=filters, places=choices, heads=queues.first_lines(rows),
                            first_line=queues.first_line, names=queues.names(rows),
                            overdue=queues.is_overdue, TABS=queues.TABS,
                            CHANNELS=thread.CHANNEL_LABELS)


@bp.route("/questions/<reference>")
@staff_question("questions")
def question_view(question):
    """The thread, the asker's details, the files, and the actions possible now
    (``?standard=<id>`` puts a standard answer in the answer box)."""
    audit.record("question_view", staff=g.staff, target=question.reference)
    return render_template("questions/question.html",
                           **thread.page_context(question, standard=request.args.get("standard")))


@bp.route("/questions/<reference>/files/<int:file_id>")
@staff_question("questions")
def question_file(question, file_id):
    """A file the asker sent, as a download (each one an audit event)."""
    found = QuestionFile.get_or_none((QuestionFile.id == file_id)
                                     & (QuestionFile.question == question.id))
    if found is None or not path_for(found.stored_name).exists():
        abort(404)
    audit.record("question_file_download", staff=g.staff,
                 target=f"{question.reference}/{found.id}")
    response = send_file(path_for(found.stored_name), mimetype=found.content_type,
                         as_attachment=True, download_name=found.original_name, max_age=0,
                         etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _refused(question, action, form, message, status):
    if message:
        form.form_errors.append(message)
    context = thread.page_context(question, refused=(action, form))
    return render_template("questions/question.html", **context), status


def _act(question, action: str, run):
    """Check the posted form of ``action``; run it (one service call) and go back to the
    question, or show the page again with the refusal and what was typed."""
    form = thread.build_form(action, question, g.staff, request.form)
    if action not in thread.allowed(question, g.staff):
        return _refused(question, action, form, _(
            "The question is closed: reopen it first.") if question.is_closed else _(
            "The question is not closed."), 409)
    if not form.validate():
        return _refused(question, action, form, None, 422)
    try:
        run(form)
    except service.QuestionClosed:
        return _refused(question, action, form, _(
            "The question was closed meanwhile: reopen it first."), 409)
    flash(_done_message(action), "info")
    if not Question.select().where(Question.visible_to(g.staff)
                                   & (Question.id == question.id)).exists():
        # Passed to another county's window or a department out of sight.
        return redirect(url_for(".questions"), 303)
    return redirect(url_for(".question_view", reference=question.reference), 303)


@bp.route("/questions/<reference>/answer", methods=["POST"])
@staff_question("questions")
def answer(question):
    """Send the answer (a standard one in the asker's language, or one's own words)."""
    return _act(question, "answer", lambda form: service.answer(
        question, g.staff, *form.values(), standard_answer=form.chosen()))


@bp.route("/questions/<reference>/note", methods=["POST"])
@staff_question("questions")
def note(question):
    """Add an internal note."""
    return _act(question, "note", lambda form: service.note(question, g.staff, form.note.data))


@bp.route("/questions/<reference>/assign", methods=["POST"])
@staff_question("questions")
def assign(question):
    """Hand the question to oneself, a colleague, or nobody."""
    return _act(question, "assign", lambda form: service.assign(question, g.staff,
                                                                form.holder()))


@bp.route("/questions/<reference>/transfer", methods=["POST"])
@staff_question("questions")
def transfer(question):
    """Pass the question to a department or another county's window, with the reason."""
    return _act(question, "transfer", lambda form: service.transfer(
        question, g.staff, why=form.why.data, **form.target()))


@bp.route("/questions/<reference>/close", methods=["POST"])
@staff_question("questions")
def close(question):
    """Close the question: nothing more to do."""
    return _act(question, "close", lambda form: service.close(question, g.staff))


@bp.route("/questions/<reference>/reopen", methods=["POST"])
@staff_question("questions")
def reopen(question):
    """Open a closed question again (due from now)."""
    return _act(question, "reopen", lambda form: service.reopen(question, g.staff))
