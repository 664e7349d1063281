"""The window's questions queue and the public FAQ search with 100,000 questions.

Builds a sandbox app (its own SQLite file in a temporary directory, the real catalog
loaded), then fills the database directly: 100,000 questions over the last two years
across every county's window, in six languages, from the web, desks and phones, with a
realistic mix (about 12 % waiting for an answer, some overdue, 20 % answered, 68 %
closed, some assigned, some passed to a department); each has its thread (what was
asked, the answer, sometimes a reply and a second answer); and 3,000 published FAQ
entries in six languages (every county, about licences, ID cards, household registers,
notarial certificates, pensions, inheritance), 300 drafts besides.

A clerk of the busiest window signs in (password and TOTP) through the test client and
every measured request goes through the whole app in this process:

- the queue: ``GET /staff/questions`` (what waits, by due time), its filters and the
  next pages through the "Next page" link;
- the FAQ search: ``GET /<lang>/faq?q=…`` in Chinese and Latin scripts, a search that
  matches nothing, and the whole list, each page built afresh (the page cache, which
  would serve a repeated URL from memory, is off for these); and the answers suggested for a whole question (the
  ask form's second step calls the same function; timed here as a function call).

Each request is run 3 times to warm up, then 40 times measured; one line per request,
then

    questions: n=100000 queue_p95_ms=X faq_search_p95_ms=Y

where X is over the default queue page and its heaviest filter together, and Y over
every FAQ search together. Budget (issue 17): both ≤ 50 ms; the exit status is 1 when
either is over. The slowest request's SQL and query plans go to stderr.

Run: .venv/bin/python bench/questions.py
"""

import os
import sys
import tempfile

os.environ["ONEVISIT_HUEY_IMMEDIATE"] = "1"
_TMP = tempfile.mkdtemp(prefix="onevisit-bench-questions-")
os.environ.setdefault("ONEVISIT_INSTANCE_DIR", _TMP)

import random
import shutil
import statistics
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py would shadow the standard library's queue.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.timing import RUNS, WARMUP, explain, measure, next_link, percentile  # noqa: E402

QUESTIONS = 100_000
FAQ_ENTRIES = 3_000
FAQ_DRAFTS = 300
CHUNK = 5000
BUDGET_MS = 50.0
SEED = 20261203
BUSIEST_SHARE = 0.4

STATUS_MIX = [("waiting", 12), ("answered", 20), ("closed", 68)]
CHANNELS = [("web", 85), ("desk", 10), ("phone", 5)]
LOCALES = [("zh", 45), ("it", 20), ("es", 10), ("fr", 10), ("pt", 5), ("en", 10)]

#: What people ask, by language: the matter, then how they put it.
MATTERS = {
    "zh": ["驾驶证到期了怎么换领", "身份证丢了能不能在国外补办", "户口本上的名字写错了怎么改",
           "父亲的房产继承需要哪些公证材料", "养老金资格认证怎么在国外做", "结婚证的公证书怎么办",
           "出生公证需要什么材料", "委托亲属回老家办理需要什么", "视频核验预约不上怎么办",
           "无犯罪记录证明怎么开"],
    "it": ["Come rinnovo la patente cinese scaduta", "Ho perso la carta d'identità: posso rifarla da Milano",
           "Il nome sul registro di famiglia è sbagliato", "Che documenti servono per l'eredità della casa di mio padre",
           "Come faccio la prova di esistenza in vita per la pensione", "Serve l'atto notarile del matrimonio"],
    "es": ["¿Cómo renuevo el permiso de conducir chino?", "Perdí el documento de identidad, ¿puedo hacerlo desde Madrid?",
           "¿Qué documentos necesito para la herencia de la casa?", "¿Cómo hago la fe de vida para la pensión?"],
    "fr": ["Comment renouveler mon permis de conduire chinois ?", "J'ai perdu ma carte d'identité, que faire depuis Paris ?",
           "Quels documents pour l'héritage de l'appartement de mon père ?", "Comment prouver que je suis en vie pour la pension ?"],
    "pt": ["Como renovo a carta de condução chinesa?", "Perdi o bilhete de identidade, posso tratar a partir de Lisboa?",
           "Que documentos preciso para a herança da casa?", "Como faço a prova de vida para a pensão?"],
    "en": ["How do I renew my Chinese driving licence?", "I lost my ID card, can I replace it from abroad?",
           "Which documents do I need for my father's house inheritance?", "How do I do the proof of life for my pension?"],
}
ANSWER = {"zh": "您好，可以在线办理，请按事项指南准备材料。", "it": "Sì, si può fare online: prepari i documenti della guida.",
          "es": "Sí, puede hacerlo en línea con los documentos de la guía.", "fr": "Oui, en ligne, avec les pièces du guide.",
          "pt": "Sim, pode tratar online com os documentos do guia.", "en": "Yes, online, with the documents the guide lists."}
#: FAQ topics in six languages: question stem, answer.
TOPICS = [
    {"zh": ("驾驶证期满换证", "可在线申请，亲属代领或邮寄。"), "en": ("Renewing a driving licence", "Apply online; a relative collects it or it is posted."),
     "it": ("Rinnovo della patente di guida", "Si chiede online; la ritira un parente o arriva per posta."),
     "fr": ("Renouveler le permis de conduire", "En ligne ; un proche le retire ou il est envoyé."),
     "es": ("Renovar el permiso de conducir", "En línea; lo recoge un familiar o se envía."),
     "pt": ("Renovar a carta de condução", "Online; um familiar levanta-a ou é enviada.")},
    {"zh": ("居民身份证补领", "需要视频核验身份，委托亲属办理。"), "en": ("Replacing a lost ID card", "A video identity check, then a relative completes it."),
     "it": ("Carta d'identità smarrita", "Verifica dell'identità in video, poi un parente completa la pratica."),
     "fr": ("Carte d'identité perdue", "Vérification d'identité en vidéo, puis un proche termine."),
     "es": ("Documento de identidad perdido", "Verificación por vídeo; luego un familiar lo completa."),
     "pt": ("Bilhete de identidade perdido", "Verificação por vídeo; depois um familiar conclui.")},
    {"zh": ("户口簿信息更正", "提供护照和原户口簿照片。"), "en": ("Correcting the household register", "Send photos of the passport and the register."),
     "it": ("Correggere il registro di famiglia", "Invii le foto del passaporto e del registro."),
     "fr": ("Corriger le livret de famille", "Envoyez les photos du passeport et du livret."),
     "es": ("Corregir el registro familiar", "Envíe fotos del pasaporte y del registro."),
     "pt": ("Corrigir o registo familiar", "Envie fotos do passaporte e do registo.")},
    {"zh": ("房产继承公证", "需要死亡证明、亲属关系证明和房产证。"), "en": ("Notarised inheritance of a house", "A death certificate, proof of kinship and the title deed."),
     "it": ("Eredità di una casa con atto notarile", "Certificato di morte, prova di parentela e atto di proprietà."),
     "fr": ("Héritage d'un logement chez le notaire", "Acte de décès, preuve de parenté et titre de propriété."),
     "es": ("Herencia notarial de una vivienda", "Certificado de defunción, parentesco y escritura."),
     "pt": ("Herança notarial de uma casa", "Certidão de óbito, prova de parentesco e escritura.")},
    {"zh": ("养老金领取资格认证", "每年一次，视频认证即可。"), "en": ("Pension proof of life", "Once a year, by video."),
     "it": ("Prova di esistenza in vita per la pensione", "Una volta l'anno, in video."),
     "fr": ("Certificat de vie pour la pension", "Une fois par an, en vidéo."),
     "es": ("Fe de vida para la pensión", "Una vez al año, por vídeo."),
     "pt": ("Prova de vida para a pensão", "Uma vez por ano, por vídeo.")},
]
PLACES = ["米兰", "Prato", "Madrid", "Paris", "Lisboa", "Roma", "Dubai", "Johannesburg"]


def _weighted(rng, pairs):
    return rng.choices([p for p, _w in pairs], [w for _p, w in pairs])[0]


def setup(app):
    """Windows, departments and counties to spread the questions over; the busiest window
    first (it gets BUSIEST_SHARE of them)."""
    from app.models import Department, Item, Jurisdiction, Office, ServicePoint, db
    with app.app_context(), db.connection_context():
        offices = [(o.id, o.jurisdiction_id) for o in Office.select().order_by(Office.sort, Office.id)]
        departments = {}
        for d in Department.select(Department.id, Department.jurisdiction):
            departments.setdefault(d.jurisdiction_id, []).append(d.id)
        items = {}
        for i in Item.select(Item.id, Department.jurisdiction).join(Department).objects():
            items.setdefault(i.jurisdiction, []).append(i.id)
        points = [p.id for p in ServicePoint.select(ServicePoint.id)]
        counties = [c.id for c in Jurisdiction.counties()]
    return offices, departments, items, points, counties


def _insert(model, fields, rows):
    """One executemany of ``rows`` (tuples in ``fields`` order), values converted as peewee
    would (``Model.insert_many`` writes the statement)."""
    from app.models import db
    sql, _params = model.insert_many(rows[:1], fields=fields).sql()
    converters = [f.db_value for f in fields]
    db.cursor().executemany(sql, [[c(v) for c, v in zip(converters, row)] for row in rows])


def fill_questions(app, offices, departments, items, points):
    """QUESTIONS questions and their threads, in chunks, in one transaction."""
    from app.clock import utcnow
    from app.models import Question, QuestionEvent, Staff, db
    rng = random.Random(SEED)
    now = utcnow().replace(microsecond=0)
    q_fields = [Question.reference, Question.jurisdiction, Question.office, Question.department,
                Question.item, Question.service_point, Question.channel, Question.locale,
                Question.status, Question.asker_name, Question.contact_email,
                Question.access_token_hash, Question.access_token_expires,
                Question.access_code_hash, Question.start_key, Question.assigned_to,
                Question.created_at, Question.updated_at, Question.due_at,
                Question.first_answered_at, Question.answered_in_time, Question.closed_at,
                Question.demo]
    e_fields = [QuestionEvent.question, QuestionEvent.kind, QuestionEvent.actor,
                QuestionEvent.staff, QuestionEvent.body, QuestionEvent.lang,
                QuestionEvent.created_at, QuestionEvent.delivered_to,
                QuestionEvent.outbox_attempts]
    with app.app_context(), db.connection_context(), db.atomic():
        Staff.insert_many([{"email": f"bench-q{n}@example.org", "name": f"Clerk {n}",
                            "role": "clerk", "password_hash": "-", "created_at": now,
                            "office": offices[n % len(offices)][0]} for n in range(30)]).execute()
        clerks = {}
        for s in Staff.select(Staff.id, Staff.office).where(Staff.email.startswith("bench-q")):
            clerks.setdefault(s.office_id, []).append(s.id)
        rows, threads = [], []
        first_id = (Question.select(Question.id).order_by(Question.id.desc()).scalar() or 0) + 1
        for n in range(QUESTIONS):
            office, county = offices[0] if rng.random() < BUSIEST_SHARE else rng.choice(offices)
            status = _weighted(rng, STATUS_MIX)
            locale = _weighted(rng, LOCALES)
            channel = _weighted(rng, CHANNELS)
            recent = status == "waiting" or rng.random() < 0.2
            age = timedelta(seconds=rng.randrange(0, (20 if recent else 730) * 86400))
            created = now - age
            due = created + timedelta(days=2 + rng.randrange(0, 3), hours=rng.randrange(0, 8))
            answered = None
            if status != "waiting":
                answered = created + timedelta(hours=rng.randrange(1, 120))
            department = None
            if rng.random() < 0.08 and departments.get(county):
                department = rng.choice(departments[county])
            holder = rng.choice(clerks[office]) if clerks.get(office) and rng.random() < 0.5 else None
            matter = rng.choice(MATTERS[locale])
            text = f"{matter}？我在{rng.choice(PLACES)}。" if locale == "zh" else (
                f"{matter}? {rng.choice(PLACES)}.")
            rows.append((
                f"QA-{n // 10000:04d}-{n % 10000:04d}-{n % 97:02d}", county, office, department,
                rng.choice(items[county]) if items.get(county) and rng.random() < 0.6 else None,
                rng.choice(points) if channel != "web" and points else None, channel, locale,
                status, "", f"asker{n}@example.org", f"{n:064x}", now + timedelta(days=180),
                "0" * 64, f"bench-ask-{n:010d}", holder, created, answered or created,
                due if status == "waiting" else None, answered,
                None if answered is None else answered <= due,
                answered if status == "closed" else None, False))
            question_id = first_id + n
            threads.append((question_id, "asked", "asker", None, text, locale, created, [], 0))
            if answered is not None:
                threads.append((question_id, "answer", "staff", holder, ANSWER[locale], locale,
                                answered, ["asker"], 1))
            if len(rows) == CHUNK:
                _insert(Question, q_fields, rows)
                _insert(QuestionEvent, e_fields, threads)
                rows.clear()
                threads.clear()
        if rows:
            _insert(Question, q_fields, rows)
            _insert(QuestionEvent, e_fields, threads)


def fill_faq(app, counties, items):
    """FAQ_ENTRIES published entries and FAQ_DRAFTS drafts in six languages."""
    from app.clock import utcnow
    from app.models import FaqEntry, FaqItem, db
    from app.questions.faqtext import search_text_of
    rng = random.Random(SEED + 1)
    now = utcnow().replace(microsecond=0)
    fields = [FaqEntry.jurisdiction, FaqEntry.texts, FaqEntry.locale_status, FaqEntry.status,
              FaqEntry.search_text, FaqEntry.helpful_yes, FaqEntry.helpful_no,
              FaqEntry.created_at, FaqEntry.updated_at, FaqEntry.published_at, FaqEntry.sort,
              FaqEntry.demo]
    with app.app_context(), db.connection_context(), db.atomic():
        rows = []
        for n in range(FAQ_ENTRIES + FAQ_DRAFTS):
            topic = rng.choice(TOPICS)
            place = rng.choice(PLACES)
            texts = {loc: {"question": f"{q} ({place}, {n})", "answer": f"{a} #{n}"}
                     for loc, (q, a) in topic.items()}
            published = n < FAQ_ENTRIES
            when = now - timedelta(days=rng.randrange(0, 700))
            rows.append((rng.choice(counties), texts, {loc: "ready" for loc in texts},
                         "published" if published else "draft", search_text_of(texts),
                         rng.randrange(0, 50), rng.randrange(0, 10), when, when,
                         when if published else None, 0, False))
        for start in range(0, len(rows), CHUNK):
            _insert(FaqEntry, fields, rows[start:start + CHUNK])
        links = []
        for entry in FaqEntry.select(FaqEntry.id, FaqEntry.jurisdiction):
            choices = items.get(entry.jurisdiction_id) or []
            for item in rng.sample(choices, min(2, len(choices))):
                links.append({"entry": entry.id, "item": item})
        for start in range(0, len(links), CHUNK):
            FaqItem.insert_many(links[start:start + CHUNK]).execute()


def main() -> int:
    from app.models import Office, db
    from app.models.migrations import refresh_statistics
    from app.questions.search import suggest
    from app.sandbox import create_sandbox_app
    from tests.conftest import make_staff, sign_in

    app = create_sandbox_app(_TMP)
    started = time.perf_counter()
    offices, departments, items, points, counties = setup(app)
    fill_questions(app, offices, departments, items, points)
    fill_faq(app, counties, items)
    print(f"fill: questions={QUESTIONS} faq={FAQ_ENTRIES} "
          f"seconds={time.perf_counter() - started:.1f}", file=sys.stderr)
    with app.app_context(), db.connection_context():
        refresh_statistics()
        busiest = Office.get_by_id(offices[0][0]).key
    make_staff(app, "bench.clerk@test", "clerk", office=busiest)
    client = sign_in(app, "bench.clerk@test")
    results = {}

    def run(name, url, headers=None):
        timings, rows, body = measure(client, url, headers)
        results[name] = (url, headers, timings, rows)
        print(f"request={name} p50_ms={statistics.median(timings):.2f} "
              f"p95_ms={percentile(timings, 95):.2f} rows={rows}", flush=True)
        return body

    default_body = run("queue_default", QUEUE)
    queue_names = []
    for name, url in QUEUE_FILTERS.items():
        body = run(name, url)
        queue_names.append(name)
        link = next_link(body)
        if link:
            run(f"{name}_next", link)
            queue_names.append(f"{name}_next")
    link = next_link(default_body)
    if link:
        run("queue_default_next", link)
        queue_names.append("queue_default_next")
    # Every search built afresh: the page cache would serve a repeated URL from memory.
    app.config["PAGE_CACHE"] = False
    for name, url in FAQ_SEARCHES.items():
        run(name, url)

    suggest_timings = []
    with app.app_context(), db.connection_context():
        for n in range(WARMUP + RUNS):
            t0 = time.perf_counter()
            suggest("您好，我在米兰，驾驶证快到期了，请问怎么换领？需要寄什么材料？", "zh")
            suggest("Buongiorno, ho perso la carta d'identità cinese: posso rifarla da Milano?", "it")
            if n >= WARMUP:
                suggest_timings.append((time.perf_counter() - t0) * 1000 / 2)
    print(f"request=suggest p50_ms={statistics.median(suggest_timings):.2f} "
          f"p95_ms={percentile(suggest_timings, 95):.2f}", flush=True)

    heaviest = max(queue_names, key=lambda n: statistics.median(results[n][2]))
    queue_all = results["queue_default"][2] + results[heaviest][2]
    faq_all = [t for name in FAQ_SEARCHES for t in results[name][2]] + suggest_timings
    slowest = max(results, key=lambda n: statistics.median(results[n][2]))
    url, headers, _t, _r = results[slowest]
    print(f"heaviest queue filter: {heaviest}; slowest request: {slowest} {url}; its SELECTs:",
          file=sys.stderr)
    for ms, sql, params, plan in explain(app, client, url, headers):
        print(f"  {ms:.2f} ms  {sql}  {params}", file=sys.stderr)
        for line in plan:
            print(f"      PLAN {line}", file=sys.stderr)
    queue_p95, faq_p95 = percentile(queue_all, 95), percentile(faq_all, 95)
    print(f"questions: n={QUESTIONS} queue_p95_ms={queue_p95:.2f} "
          f"faq_search_p95_ms={faq_p95:.2f}", flush=True)
    return 1 if max(queue_p95, faq_p95) > BUDGET_MS else 0


QUEUE = "/staff/questions"
QUEUE_FILTERS = {
    "queue_overdue": "/staff/questions?tab=overdue",
    "queue_nobody": "/staff/questions?tab=nobody",
    "queue_mine": "/staff/questions?tab=mine",
    "queue_answered": "/staff/questions?tab=answered",
    "queue_closed": "/staff/questions?tab=closed",
}
FAQ_SEARCHES = {
    "faq_zh": "/zh/faq?q=" + quote("驾驶证"),
    "faq_it": "/it/faq?q=patente",
    "faq_two_terms": "/fr/faq?q=" + quote("permis conduire"),
    "faq_nomatch": "/en/faq?q=zzzzqqq",
    "faq_all": "/pt/faq",
}


if __name__ == "__main__":
    try:
        status = main()
    finally:
        shutil.rmtree(_TMP, ignore_errors=True)
    sys.exit(status)
