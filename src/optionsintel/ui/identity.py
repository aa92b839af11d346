"""The dashboards behind the platform's users: a Jupyter server identity provider for Voila.

Local mode (Voila on 127.0.0.1, the default) does not use this module: the apps open
without a login, like a personal Jupyter server. Once the dashboards listen beyond
loopback (``optionsintel dashboards --host 0.0.0.0``), Voila runs with
``--Voila.identity_provider_class=optionsintel.ui.identity.PlatformIdentityProvider``:

* a person signs in once on ``/login`` with the same username and password as the API
  (:func:`optionsintel.services.access.login`: Argon2, lock-out after repeated failures,
  audited); the signed Jupyter login cookie then opens every app;
* a program (or a reverse proxy that already authenticated the person) sends
  ``Authorization: Bearer <API key or login token>``, checked exactly as the API checks
  it (:func:`optionsintel.services.access.authenticate`);
* a cookie of an account that has since been disabled is refused on the next request.

Anything else gets the login page (pages) or 403 (kernels, websockets, API calls).
"""

from __future__ import annotations

import asyncio
import html
from functools import cached_property
from typing import Any

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web
from traitlets import Type
from voila.voila_identity_provider import VoilaLoginHandler

from optionsintel.errors import CredentialsError, LoginThrottledError
from optionsintel.services.access import authenticate, login
from optionsintel.services.signing import api_secret
from optionsintel.store import Store, get_store
from optionsintel.store.accounts import read_account

#: The request header naming the signed-in person to the page's kernel. Voila copies it
#: into the kernel's environment (``http_header_envs``) as ``HTTP_X_OPTIONSINTEL_VIEWER``,
#: which :func:`optionsintel.ui.theme.viewer_identity` reads. Only this provider sets it:
#: whatever a client sends under that name is removed first.
VIEWER_HEADER = "X-OptionsIntel-Viewer"

#: Command-line flags that put Voila behind the platform's users.
EXPOSED_VOILA_FLAGS = (
    "--Voila.identity_provider_class=optionsintel.ui.identity.PlatformIdentityProvider",
    f"--VoilaConfiguration.http_header_envs={VIEWER_HEADER}",
)

_FORM = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - optionsintel</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}}
label,input,button{{display:block;width:100%;margin:.4rem 0}}input{{padding:.5rem}}
.error{{color:#b00020}}</style></head><body>
<h1>optionsintel</h1><p>Sign in with your platform account.</p>
{message}<form method="post" action="{action}">{xsrf}
<label for="username">Username</label><input id="username" name="username" autofocus required>
<label for="password">Password</label>
<input id="password" name="password" type="password" required>
<input type="hidden" name="next" value="{next}"><button type="submit">Sign in</button>
</form></body></html>"""


#: What the sign-in page says for a refused username/password (Jupyter's own text is
#: "Invalid credentials"); the same words whichever of the two was wrong.
WRONG_CREDENTIALS = "Wrong username or password: you are not signed in. Try again."


def _user(username: str) -> User:
    return User(username=username, name=username, display_name=username)


class PlatformLoginHandler(VoilaLoginHandler):
    """The sign-in page: username and password of a platform account."""

    def _render(self, message: Any = None) -> None:
        error = (message or {}).get("error") if isinstance(message, dict) else None
        if error == "Invalid credentials":
            error = WRONG_CREDENTIALS
        text = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        self.write(
            _FORM.format(
                message=text,
                action=html.escape(self.request.path),
                xsrf=self.xsrf_form_html(),
                next=html.escape(self.get_argument("next", default=self.base_url)),
            )
        )


class PlatformIdentityProvider(IdentityProvider):
    """Voila/Jupyter identities are the platform's users (see the module docstring)."""

    login_handler_class = Type(
        default_value=PlatformLoginHandler,
        klass=web.RequestHandler,
        help="The sign-in page handler.",
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        # Voila passes its own plain ``VoilaLoginHandler`` as ``login_handler_class``,
        # which would replace this provider's sign-in page (and its clear errors) by
        # Jupyter's generic one: keep ours unless configured otherwise.
        if kwargs.get("login_handler_class") is VoilaLoginHandler:
            del kwargs["login_handler_class"]
        super().__init__(**kwargs)

    @cached_property
    def store(self) -> Store:
        """The platform's store (``DATABASE_URL``)."""
        return get_store()

    @cached_property
    def secret(self) -> str:
        """The API's token-signing secret, so API login tokens are valid here too."""
        return api_secret()

    @property
    def auth_enabled(self) -> bool:
        """Always: this provider is only installed when the dashboards are exposed."""
        return True

    @property
    def login_available(self) -> bool:
        """People sign in on ``/login``."""
        return True

    async def get_user(self, handler: web.RequestHandler) -> User | None:  # type: ignore[override]
        """The user of a valid bearer credential or login cookie; None otherwise.

        The request then carries :data:`VIEWER_HEADER` with the user's name (and never a
        client's own value of it), so the kernel Voila starts knows who is looking.
        """
        handler.request.headers.pop(VIEWER_HEADER, None)  # only the server names the viewer
        user = await self._authenticated(handler)
        if user is not None:
            handler.request.headers[VIEWER_HEADER] = user.username
        return user

    async def _authenticated(self, handler: web.RequestHandler) -> User | None:
        known = getattr(handler, "_jupyter_current_user", None)
        if known:
            return known  # type: ignore[no-any-return]
        bearer = self.auth_header_pat.match(handler.request.headers.get("Authorization", ""))
        if bearer:
            return await asyncio.get_running_loop().run_in_executor(
                None, self._bearer_user, bearer.group(2).strip(), handler.request.remote_ip
            )
        user = self.get_user_cookie(handler)
        if isinstance(user, asyncio.Future) or asyncio.iscoroutine(user):
            user = await user
        return user  # type: ignore[return-value]

    def _bearer_user(self, credential: str, source: str | None) -> User | None:
        try:
            identity = authenticate(self.store, credential, secret=self.secret, source=source)
        except CredentialsError:
            return None
        return _user(identity.username)

    def user_from_cookie(self, cookie_value: str) -> User | None:
        """The cookie's user while the account is still active."""
        user = super().user_from_cookie(cookie_value)
        if user is None:
            return None
        account = read_account(self.store, user.username)
        return user if account is not None and account["status"] == "ACTIVE" else None

    def process_login_form(self, handler: web.RequestHandler) -> User | None:
        """Check the username and password as the API's login does (throttled, audited)."""
        username = handler.get_argument("username", default="")[:64]
        password = handler.get_argument("password", default="")[:256]
        try:
            login(self.store, username, password, secret=self.secret,
                  source=handler.request.remote_ip)  # fmt: skip
        except LoginThrottledError as exc:
            self.log.warning("dashboard sign-in throttled for %r", username)
            raise web.HTTPError(429, reason=str(exc)) from None
        except CredentialsError:
            return None
        return _user(username)

    def validate_security(self, app: Any, ssl_options: dict[str, Any] | None = None) -> None:
        """Warn when exposed without TLS (terminate it at a reverse proxy)."""
        if ssl_options is None:
            app.log.warning(
                "dashboards are exposed without TLS here: put them behind an HTTPS reverse proxy"
            )
