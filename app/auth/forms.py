"""The staff sign-in forms: password, then the authenticator code."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField

from ..forms import Asked, Form, Needed, TrimmedString


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


class PasswordChangeForm(Form):
    """The password in use, the new one twice, and a code of the second step."""

    current = PasswordField(_l("Your password now"),
                            validators=[Needed(_l("Enter the password you have now."))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[Needed(_l("Enter a new password."))],
                        description=_l("At least 12 characters. A phrase of four or five "
                                       "unrelated words is easy to remember and hard to "
                                       "guess."),
                        render_kw={"autocomplete": "new-password"})
    again = PasswordField(_l("New password again"),
                          validators=[Needed(_l("Enter the new password a second time."))],
                          render_kw={"autocomplete": "new-password"})
    code = TrimmedString(_l("Code from your authenticator app"), max_chars=40,
                         description=_l("6 digits, or one of your recovery codes."),
                         validators=[Needed(_l("Enter the code from your authenticator app."))],
                         render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                    "class": "w-s"})


class EndSessionsForm(Form):
    """The password again, to end some of one's own sessions."""

    password = PasswordField(_l("Your password"),
                             validators=[Needed(_l("Enter your password to end sessions."))],
                             render_kw={"autocomplete": "current-password"})
