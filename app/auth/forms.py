"""The staff sign-in forms: password, then the authenticator code."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField

from ..forms import Asked, Form, TrimmedString


class LoginForm(Form):
    """Email address and password."""

    email = TrimmedString(_l("Email address"), max_chars=254, validators=[Asked()],
                          render_kw={"type": "email", "autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[Asked()],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(Form):
    """A code from the authenticator app (or a recovery code)."""

    code = TrimmedString(_l("Code from your authenticator app"), max_chars=40,
                         description=_l("6 digits. Lost your phone? Enter one of your recovery "
                                        "codes instead."),
                         validators=[Asked()],
                         render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                    "class": "w-s"})
