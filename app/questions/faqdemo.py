"""Demo FAQ entries (``flask load-demo``): questions emigrants really ask, answered in six
languages, published for the demo counties so that ``/<lang>/faq`` is not empty."""

#: (county key, item codes, {locale: (question, answer)})
DEMO_FAQ = [
    ("wencheng", ("JJ-JZ-001",), {
        "zh": ("我在意大利，驾驶证快到期了，必须回国换证吗？",
               "不必回国。在“机动车驾驶证期满换证（境外居住）”在线申请，上传护照、驾驶证和体检证明的照片；"
               "体检证明可以先作承诺，稍后补交。新证可由您委托的亲属在文成领取，或邮寄到您国内的地址。"),
        "en": ("I live in Italy and my driving licence is about to expire. Do I have to go back "
               "to China to renew it?",
               "No. Apply online for “Renewal of an expired driving licence (living abroad)” and "
               "upload photos of your passport, licence and medical certificate; the medical "
               "certificate can follow later under a signed commitment. A relative you entrust "
               "collects the new licence in Wencheng, or it is posted to an address in China."),
        "it": ("Vivo in Italia e la mia patente cinese sta per scadere. Devo tornare in Cina "
               "per rinnovarla?",
               "No. Faccia domanda online per «Rinnovo della patente scaduta (residenti all'estero)» "
               "e carichi le foto del passaporto, della patente e del certificato medico; il "
               "certificato medico può arrivare dopo, con un impegno firmato. Un familiare da Lei "
               "delegato ritira la nuova patente a Wencheng, oppure è spedita a un indirizzo in "
               "Cina."),
        "fr": ("J'habite en Italie et mon permis de conduire chinois va expirer. Dois-je rentrer "
               "en Chine pour le renouveler ?",
               "Non. Faites la demande en ligne « Renouvellement du permis expiré (résidents à "
               "l'étranger) » et envoyez les photos de votre passeport, de votre permis et du "
               "certificat médical ; le certificat médical peut suivre plus tard, avec un "
               "engagement signé. Un proche que vous mandatez retire le nouveau permis à "
               "Wencheng, ou il est envoyé à une adresse en Chine."),
        "es": ("Vivo en Italia y mi permiso de conducir chino está a punto de caducar. ¿Tengo "
               "que volver a China para renovarlo?",
               "No. Solicite en línea «Renovación del permiso caducado (residentes en el "
               "extranjero)» y suba las fotos del pasaporte, del permiso y del certificado "
               "médico; el certificado médico puede enviarse más tarde, con un compromiso "
               "firmado. Un familiar al que autorice recoge el nuevo permiso en Wencheng, o se "
               "envía a una dirección en China."),
        "pt": ("Vivo em Itália e a minha carta de condução chinesa está a caducar. Tenho de "
               "voltar à China para a renovar?",
               "Não. Peça online a «Renovação da carta caducada (residentes no estrangeiro)» e "
               "envie as fotografias do passaporte, da carta e do atestado médico; o atestado "
               "pode ser enviado mais tarde, com um compromisso assinado. Um familiar que "
               "autorize levanta a nova carta em Wencheng, ou é enviada para uma morada na "
               "China."),
    }),
    ("wencheng", ("GA-HJ-001",), {
        "zh": ("身份证过期了，人在国外，可以委托家里人代办换领吗？",
               "可以。在线申请“居民身份证换领（有效期满）”，上传护照和符合要求的证件照，并签署委托书；"
               "窗口会和您视频核验身份。受托的亲属凭委托书和本人身份证到户籍窗口领取新证。"),
        "en": ("My Chinese ID card has expired and I live abroad. Can a relative at home renew "
               "it for me?",
               "Yes. Apply online for “ID card renewal (expired)”, upload your passport and an "
               "ID photo that meets the rules, and sign an entrustment letter; the window "
               "checks your identity in a short video call. Your relative collects the new "
               "card at the household registration window with the letter and their own ID."),
        "it": ("La mia carta d'identità cinese è scaduta e vivo all'estero. Un familiare in "
               "Cina può rinnovarla per me?",
               "Sì. Faccia domanda online per «Rinnovo della carta d'identità (scaduta)», carichi "
               "il passaporto e una foto tessera conforme e firmi una delega; lo sportello "
               "verifica la Sua identità con una breve videochiamata. Il familiare ritira la "
               "nuova carta allo sportello anagrafe con la delega e il proprio documento."),
        "fr": ("Ma carte d'identité chinoise a expiré et je vis à l'étranger. Un proche en "
               "Chine peut-il la renouveler pour moi ?",
               "Oui. Faites la demande en ligne « Renouvellement de la carte d'identité "
               "(expirée) », envoyez votre passeport et une photo d'identité conforme, et signez "
               "une procuration ; le guichet vérifie votre identité par un court appel vidéo. "
               "Votre proche retire la nouvelle carte au guichet de l'état civil avec la "
               "procuration et sa propre pièce d'identité."),
        "es": ("Mi documento de identidad chino ha caducado y vivo en el extranjero. ¿Puede "
               "renovarlo un familiar en China?",
               "Sí. Solicite en línea «Renovación del documento de identidad (caducado)», suba "
               "el pasaporte y una foto que cumpla los requisitos y firme una autorización; la "
               "ventanilla comprueba su identidad en una breve videollamada. Su familiar recoge "
               "el nuevo documento en la ventanilla del registro con la autorización y su "
               "propio documento."),
        "pt": ("O meu cartão de identidade chinês caducou e vivo no estrangeiro. Um familiar "
               "na China pode renová-lo por mim?",
               "Sim. Peça online a «Renovação do cartão de identidade (caducado)», envie o "
               "passaporte e uma fotografia conforme as regras e assine uma procuração; o "
               "balcão confirma a sua identidade numa breve videochamada. O familiar levanta o "
               "novo cartão no balcão do registo com a procuração e o seu próprio documento."),
    }),
    ("qingtian", ("QT-GZ-QS-001",), {
        "zh": ("亲属关系公证书拿到意大利使用，还需要去使馆认证吗？",
               "不需要领事认证了。中国自2023年11月7日起加入《取消外国公文认证要求的公约》，意大利也是缔约国："
               "公证书办好后再办理附加证明书（Apostille）即可在意大利使用。可在申请时一并选择。"),
        "en": ("I need a kinship notarial certificate for use in Italy. Does it still need "
               "consular legalisation?",
               "No. Since 7 November 2023 China is a party to the Apostille Convention, as is "
               "Italy: once the certificate is notarised, an apostille is enough for it to be "
               "used in Italy. You can ask for it in the same application."),
        "it": ("Mi serve un atto notarile di parentela da usare in Italia. Serve ancora la "
               "legalizzazione consolare?",
               "No. Dal 7 novembre 2023 la Cina aderisce alla Convenzione dell'Aia sull'apostille, "
               "come l'Italia: una volta fatto l'atto notarile, basta l'apostille per usarlo in "
               "Italia. Può chiederla nella stessa domanda."),
        "fr": ("J'ai besoin d'un acte notarié de parenté pour l'Italie. Faut-il encore une "
               "légalisation consulaire ?",
               "Non. Depuis le 7 novembre 2023, la Chine est partie à la Convention Apostille, "
               "comme l'Italie : une fois l'acte notarié établi, l'apostille suffit pour "
               "l'utiliser en Italie. Vous pouvez la demander dans la même demande."),
        "es": ("Necesito un acta notarial de parentesco para usarla en Italia. ¿Hace falta "
               "todavía la legalización consular?",
               "No. Desde el 7 de noviembre de 2023 China es parte del Convenio de la Apostilla, "
               "igual que Italia: una vez hecha el acta notarial, basta con la apostilla para "
               "usarla en Italia. Puede pedirla en la misma solicitud."),
        "pt": ("Preciso de uma certidão notarial de parentesco para usar em Itália. Ainda é "
               "preciso a legalização consular?",
               "Não. Desde 7 de novembro de 2023 a China é parte da Convenção da Apostila, tal "
               "como a Itália: depois de feita a certidão notarial, basta a apostila para a "
               "usar em Itália. Pode pedi-la no mesmo pedido."),
    }),
    ("liandu", ("LD-RS-YL-001",), {
        "zh": ("我在国外领取养老金，每年的资格认证怎么做？",
               "每年做一次，在手机上和窗口视频即可完成认证，不用回国，也不用去使馆。到期前我们会提醒您；"
               "如果错过，养老金会暂停发放，补做认证后恢复并补发。"),
        "en": ("I receive my pension abroad. How do I do the yearly proof of life?",
               "Once a year, by a video call with the window on your phone: no trip home and no "
               "visit to the consulate. We remind you before it is due; if you miss it, "
               "payments pause and resume, with what was held back, once you have done it."),
        "it": ("Ricevo la pensione all'estero. Come faccio la prova di esistenza in vita "
               "ogni anno?",
               "Una volta l'anno, con una videochiamata allo sportello dal telefono: niente "
               "viaggio in Cina né visita al consolato. La avvisiamo prima della scadenza; se la "
               "salta, i pagamenti si sospendono e riprendono, con gli arretrati, dopo la prova."),
        "fr": ("Je touche ma pension à l'étranger. Comment faire la preuve de vie chaque "
               "année ?",
               "Une fois par an, par un appel vidéo avec le guichet sur votre téléphone : ni "
               "voyage en Chine ni passage au consulat. Nous vous prévenons avant l'échéance ; "
               "si vous la manquez, les versements sont suspendus puis reprennent, arriérés "
               "compris, une fois la preuve faite."),
        "es": ("Cobro la pensión en el extranjero. ¿Cómo hago la fe de vida cada año?",
               "Una vez al año, con una videollamada con la ventanilla desde el móvil: sin viajar "
               "a China ni ir al consulado. Le avisamos antes del plazo; si se le pasa, los pagos "
               "se suspenden y se reanudan, con los atrasos, cuando la haga."),
        "pt": ("Recebo a pensão no estrangeiro. Como faço a prova de vida todos os anos?",
               "Uma vez por ano, numa videochamada com o balcão pelo telemóvel: sem viajar para "
               "a China nem ir ao consulado. Avisamos antes do prazo; se falhar, os pagamentos "
               "ficam suspensos e são retomados, com os atrasados, depois de a fazer."),
    }),
]


def load_demo_faq() -> int:
    """Publish the demo entries again (those loaded before are replaced); return how many.
    An entry whose county or services are not in the catalog is left out."""
    from ..models import Item, Jurisdiction
    from . import faq
    faq.drop_demo()
    made = 0
    for county_key, codes, texts in DEMO_FAQ:
        county = Jurisdiction.local_by_key(county_key)
        items = [item for item in (Item.active_by_code(code) for code in codes) if item]
        if county is None or not items:
            continue
        entry = faq.create(county, None, {loc: {"question": q, "answer": a}
                                          for loc, (q, a) in texts.items()},
                           items=items, demo=True)
        for locale, (question, answer) in texts.items():
            faq.save_text(entry, locale, question, answer, True)
        faq.publish(entry, None)
        made += 1
    return made
