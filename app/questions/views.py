"""The ``questions`` blueprint, ``/<lang>/questions``: the asker's side of a question.

Ask (two steps: the question, then the answers that may help, files and "send"), the
page after sending, the private link and the find page, the thread (answers, replies,
files, close) and "remove access from this browser". Thin views: validate, call one
function of :mod:`.asking`, :mod:`.access` or :mod:`.service`, redirect; or show the
form again with what was typed and a 4xx.
"""

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import format_decimal, gettext as _
from werkzeug.exceptions import NotFound

from ..authz import asker_question, may_open, may_open_question, public
from ..cases.access import spend_start_key
from ..cases.pages import find_with_code, limited_by_reference
from ..cases.reference import ReferenceError_, parse_reference
from ..extensions import limiter
from ..fragments import see_other
from ..models import Case, Question, QuestionFile
from ..slowclients import body_limit
from ..uploads.form_head import fields_before_files
from ..uploads.service import UploadError, attachment, path_for
from . import access, asking, service
from .ask_forms import MAX_FILES, AskForm, FilesForm, FindQuestionForm, ReplyForm
from .ask_thread import forget_message, sent_context, thread_context

bp = Blueprint("questions", __name__, url_prefix="/<lang:lang>/questions")


def _held_case(reference: str | None, strict: bool = True) -> Case | None:
    """The case a question is asked from: one this browser holds (a case it does not
    hold is 404 when posted, and no case at all when only linked)."""
    if not reference:
        return None
    case = Case.by_reference(reference[:40])
    if may_open(case):
        return case
    if strict:
        abort(404)
    return None


def _with_files(args, config):
    """An ask or a reply carries up to three files of the upload limit each (and the form)."""
    return MAX_FILES * config["UPLOAD_MAX_BYTES"] + 1024 * 1024


def _step1(form, case, status=200):
    county = form.chosen_county() if "county" in form and form.county.data else None
    item = asking.posted_item(form, county)
    return render_template("questions/ask.html", form=form, case=case, item=item), status


def _step2(form, case, error=None, status=200):
    origin = asking.asked_from(case)
    county = origin.get("county") or form.chosen_county()
    item = origin.get("item") or asking.posted_item(form, county)
    form.suggestion_key.data, found = asking.suggestions(form, g.lang, county, item)
    files = FilesForm(formdata=None)
    if error:
        files.files.errors = [error]
    return render_template("questions/check.html", form=form, files=files, case=case,
                           county=county, item=item, suggestions=found), status


@bp.route("/new", methods=["GET", "POST"])
@body_limit(_with_files)
@public
@limiter.limit(lambda: current_app.config["NEW_QUESTIONS_RATE_LIMIT"], methods=["POST"])
def ask():
    """Ask the window: the question (step 1); the answers that may help, files, send (2)."""
    if request.method == "GET":
        case = _held_case(request.args.get("case"), strict=False)
        return _step1(asking.first_form(request.args, g.lang, case), case)
    case = _held_case(request.form.get("case"))
    form = AskForm(locale=g.lang, from_case=case is not None)
    if not asking.valid_start_key(form.start_key.data):
        abort(400)
    stage = request.form.get("stage")
    if not form.validate() or stage == "edit":
        return _step1(form, case, 422 if form.errors else 200)
    if stage != "send":
        return _step2(form, case)
    try:
        files = asking.prepared_files(request.files.getlist("files"))
    except UploadError as error:
        return _step2(form, case, str(error), error.status)
    return _send(form, case, files)


def _send(form, case, files):
    try:
        sent = asking.send(form, g.lang, case, files)
    except ValueError:  # the service refused the text (the form should have)
        form.text.errors = [_("Write your question.")]
        return _step1(form, case, 422)
    return _after_send(sent)


def _after_send(sent: asking.Sent):
    question = sent.question
    if not sent.replayed:
        access.grant(question, sent.token, sent.code)
        spend_start_key(question.start_key)
    elif not may_open_question(question):
        # The answer to the first post was lost: the browser that was given this form gets
        # in. The same form posted from another browser: never hand out someone's question.
        if not access.lost_answer_of(question):
            abort(409)
        access.grant_lost_answer(question)
    return see_other(url_for("questions.sent", reference=question.reference))


@bp.route("/<reference>/sent")
@asker_question
def sent(question):
    """The reference, the access code and the private link; what happens next."""
    return render_template("questions/sent.html", **sent_context(question))


@bp.route("/suggested/<key>/<int:number>")
@public
def suggested(key, number):
    """An answer suggested before sending, opened (counted once per list shown)."""
    target = asking.opened(key, number, g.lang)
    if target is None:
        abort(404)
    return redirect(target, 303)


@bp.route("/open/<token>")
@public
def open_link(token):
    """The private link: open the question in this browser, then drop the token."""
    question, state = access.question_for_token(token)
    if state != "ok":
        return (render_template("questions/link_problem.html", problem=state),
                410 if state == "expired" else 404)
    access.grant(question)
    return redirect(url_for("questions.thread", reference=question.reference), 303)


def _typed_reference(text: str) -> str | None:
    try:
        return parse_reference(text, service.PREFIX)
    except ReferenceError_:
        return None


@bp.route("/find", methods=["GET", "POST"])
@public
@limited_by_reference("find-question", read=_typed_reference)
def find():
    """Open a question with its reference and access code."""
    question, page = find_with_code(
        FindQuestionForm, "questions/find.html", access.check_access_code,
        _("We could not find a question with this reference and access code. Check both and "
          "try again."), model=Question)
    if question is None:
        return page
    access.grant(question)
    return redirect(url_for("questions.thread", reference=question.reference), 303)


@bp.route("/<reference>")
@asker_question
def thread(question):
    """The question, the window's answers, the asker's replies and files."""
    form = ReplyForm(formdata=None)
    return render_template("questions/thread.html", **thread_context(question, form))


def _thread_again(question, form, status):
    return render_template("questions/thread.html", **thread_context(question, form)), status


def _closed(question, form):
    form.text.errors = [_("This question is closed: a reply cannot be added. Ask a new "
                          "question if you need more help; your text is kept below.")]
    return _thread_again(Question.get_by_id(question.id), form, 409)


@bp.route("/<reference>/reply", methods=["POST"])
@body_limit(_with_files)
@asker_question
@limiter.limit(lambda: current_app.config["QUESTION_REPLIES_RATE_LIMIT"])
def reply(question):
    """Write to the window again (with files): the window owes an answer again."""
    form = ReplyForm()
    if question.is_closed:
        return _closed(question, form)
    if not form.validate():
        return _thread_again(question, form, 422)
    try:
        files = asking.prepared_files(request.files.getlist("files"), question)
        service.reply(question, form.text.clean, files)
    except UploadError as error:
        form.files.errors = [str(error)]
        return _thread_again(question, form, error.status)
    except service.QuestionClosed:
        return _closed(question, form)
    except ValueError:  # the service refused the text (the form should have)
        form.text.errors = [_("Write your reply.")]
        return _thread_again(question, form, 422)
    flash(_("Your reply was sent to the window."), "info")
    return see_other(url_for("questions.thread", reference=question.reference) + "#latest")


@bp.route("/<reference>/close", methods=["POST"])
@asker_question
def close(question):
    """"My question is answered": nothing more is owed."""
    if not question.is_closed:
        service.close(question)
        flash(_("Your question is closed. Thank you."), "info")
    return see_other(url_for("questions.thread", reference=question.reference))


@bp.route("/<reference>/forget", methods=["POST"])
@asker_question
def forget(question):
    """Remove the question from this browser (for shared computers)."""
    access.forget(question)
    if may_open_question(question):  # still open here through the application it came from
        flash(forget_message(question), "info")
        return see_other(url_for("questions.thread", reference=question.reference))
    flash(_("This browser no longer has access to %(reference)s. Use your access code to "
            "open it again.", reference=question.reference), "info")
    return redirect(url_for("questions.find"), 303)


@bp.route("/<reference>/files/<int:file_id>")
@asker_question
def download(question, file_id):
    """One of the question's files (attachment only, never cached)."""
    found = QuestionFile.get_or_none((QuestionFile.id == file_id)
                                     & (QuestionFile.question == question.id))
    if found is None or not path_for(found.stored_name).exists():
        abort(404)
    return attachment(path_for(found.stored_name), found.content_type, found.original_name)


def _too_large_message() -> str:
    return _("What you sent was too large to be read: together your files may be at most "
             "%(num)d × %(mb)s MB. Choose smaller files (a new photo at a lower resolution, "
             "or a scan at 200 dpi) and send again.", num=MAX_FILES,
             mb=format_decimal(current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024, "#,##0.#"))


@bp.errorhandler(413)
def too_large(error):
    """A body over the limit cannot be read; the form comes back with what was typed (read
    from the start of the body, where the fields come before the files) and a message."""
    kept = fields_before_files()
    if request.endpoint == "questions.reply":
        question = Question.by_reference(request.view_args.get("reference", ""))
        if not may_open_question(question):  # as the guard would (it has not run)
            return render_template("errors/http.html", error=NotFound()), 404
        form = ReplyForm(formdata=kept or None)
        form.files.errors = [_too_large_message()]
        return _thread_again(question, form, 413)
    if request.endpoint == "questions.ask":
        return _ask_too_large(kept)
    return render_template("errors/http.html", error=error), 413


def _ask_too_large(kept):
    case = _held_case(kept.get("case"), strict=False)
    form = AskForm(formdata=kept or None, locale=g.lang, from_case=case is not None)
    if kept and form.validate() and asking.valid_start_key(form.start_key.data):
        return _step2(form, case, _too_large_message(), 413)
    if not (kept and asking.valid_start_key(form.start_key.data)):
        form = asking.first_form({}, g.lang, case)
    form.form_errors.append(_too_large_message())
    return _step1(form, case, 413)
