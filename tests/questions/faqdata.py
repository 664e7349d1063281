"""What the FAQ tests share: a question asked and answered, an entry in six languages."""

import secrets

from app.models import Item, Jurisdiction, Office, Staff, db

#: An entry about renewing a driving licence from abroad, in six languages.
TEXTS = {
    "zh": {"question": "在意大利可以换领驾驶证吗？", "answer": "可以。在线申请换领机动车驾驶证，上传护照和体检证明。"},
    "en": {"question": "Can I renew my driving licence from Italy?",
           "answer": "Yes. Apply online and upload your passport and medical certificate."},
    "it": {"question": "Posso rinnovare la patente di guida dall'Italia?",
           "answer": "Sì. Fai domanda online e carica il passaporto e il certificato medico."},
    "fr": {"question": "Puis-je renouveler mon permis de conduire depuis l'Italie ?",
           "answer": "Oui. Faites la demande en ligne avec votre passeport et le certificat "
                     "médical."},
    "es": {"question": "¿Puedo renovar mi permiso de conducir desde Italia?",
           "answer": "Sí. Solicítelo en línea y suba el pasaporte y el certificado médico."},
    "pt": {"question": "Posso renovar a carta de condução a partir de Itália?",
           "answer": "Sim. Peça online e envie o passaporte e o atestado médico."},
}

ASKED = ("Buongiorno, sono Mario Rossi (mario.rossi@example.it, +39 333 123 4567), "
         "ID 330327198001011234, pratica OV-2024-0001-23. Posso rinnovare la patente "
         "dall'Italia? <script>alert(1)</script> Scadenza 2025-03-01.")
ANSWERED = "Sì, Mario Rossi: può fare domanda online. Per la pratica QA-1111-2222-33 ci scriva."


def ctx(app):
    """The app's context with a database connection."""
    from contextlib import ExitStack
    stack = ExitStack()
    stack.enter_context(app.app_context())
    stack.enter_context(db.connection_context())
    return stack


def asked_and_answered(app, county="wencheng", item="JJ-JZ-001", answer=True,
                       clerk="clerk@test", office="police-global-window"):
    """A question asked in Italian by Mario Rossi and answered by the window; returns
    its reference."""
    from app.questions import service
    with ctx(app):
        place = Jurisdiction.local_by_key(county)
        question, _token, _code = service.ask(
            county=place, locale="it", text=ASKED, start_key=secrets.token_hex(8),
            item=Item.active_by_code(item) if item else None, asker_name="Mario Rossi",
            contact_email="mario.rossi@example.it")
        window = Office.get(Office.key == office)
        if question.office_id != window.id:
            service.transfer(question, Staff.get(Staff.email == clerk), office=window)
        if answer:
            service.answer(question, Staff.get(Staff.email == clerk), ANSWERED, "it")
        return question.reference


def published_entry(app, county="wencheng", items=("JJ-JZ-001",), texts=TEXTS,
                    email="supervisor@test") -> int:
    """An entry in six languages, every one ready, published; returns its id."""
    from app.questions import faq
    with ctx(app):
        staff = Staff.get_or_none(Staff.email == email)
        entry = faq.create(Jurisdiction.local_by_key(county), staff, texts,
                           items=[Item.active_by_code(code) for code in items])
        for locale, text in texts.items():
            faq.save_text(entry, locale, text["question"], text["answer"], True)
        faq.publish(faq.FaqEntry.get_by_id(entry.id), staff)
        return entry.id
