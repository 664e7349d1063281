"""The Latin-script spelling of a Chinese name, suggested with pypinyin.

The suggestion follows passport practice: surname in capitals first, given
name as one word (``王堃喆`` → ``WANG Kunzhe``), ü written ``YU`` after L and
N (``吕`` → ``LYU``). It is only a suggestion: the applicant corrects it to
match the passport.
"""

from pypinyin import Style, lazy_pinyin

#: Two-character surnames, read as one surname.
COMPOUND_SURNAMES = {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "司徒", "慕容",
                     "公孙", "夏侯", "尉迟", "长孙", "宇文", "端木", "独孤", "西门", "南宫"}
#: Surnames whose usual reading as a name differs from the common word.
SURNAME_READINGS = {"单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu",
                    "查": "zha", "朴": "piao", "盖": "ge", "缪": "miao", "种": "chong",
                    "翟": "zhai", "乐": "yue", "覃": "qin", "尉": "yu", "万俟": "moqi",
                    "秘": "bi", "长": "zhang", "藏": "zang", "召": "shao"}


def _syllables(text: str) -> list[str]:
    out = []
    for syllable in lazy_pinyin(text, style=Style.NORMAL, v_to_u=False, errors="ignore"):
        syllable = syllable.lower()
        if syllable.startswith(("lv", "nv")):
            syllable = syllable[0] + "yu" + syllable[2:]
        out.append(syllable.replace("v", "u"))
    return out


def suggest_latin(name_zh: str) -> str:
    """``WANG Kunzhe`` for ``王堃喆``; an empty string if nothing can be read."""
    name = "".join(ch for ch in (name_zh or "") if not ch.isspace() and ch not in "·・•")
    if not name:
        return ""
    surname_length = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    surname_zh, given_zh = name[:surname_length], name[surname_length:]
    surname = SURNAME_READINGS.get(surname_zh) or "".join(_syllables(surname_zh))
    given = "".join(_syllables(given_zh))
    if not surname:
        return ""
    return f"{surname.upper()} {given.capitalize()}".strip()
