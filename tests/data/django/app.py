"""A tiny single-file Django club site used as a fixture by the member-audit tests.

Usage: python3 app.py PORT

Env: CLUB_PASSWORD (default "correct-horse-battery"), CLUB_DB (sqlite path;
default: a fresh temporary directory, removed on exit).
Prints exactly one line, "ready", on stdout once the socket is listening.
"""
import atexit
import os
import shutil
import signal
import socketserver
import sys
import tempfile
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

PASSWORD = os.environ.get("CLUB_PASSWORD", "correct-horse-battery")

if os.environ.get("CLUB_DB"):
    DB_PATH = os.environ["CLUB_DB"]
else:
    _tmp = tempfile.mkdtemp(prefix="authwall-django-")
    atexit.register(shutil.rmtree, _tmp, ignore_errors=True)
    DB_PATH = os.path.join(_tmp, "club.sqlite3")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{% block title %}Club{% endblock %}</title></head>
<body>{% block body %}{% endblock %}</body></html>
"""

TEMPLATES_SRC = {
    "base.html": PAGE,
    "registration/login.html": """{% extends "base.html" %}
{% block title %}Log in{% endblock %}
{% block body %}<h1>Log in</h1>
<form method="post" action="{% url 'login' %}">{% csrf_token %}
{{ form.as_p }}
<input type="hidden" name="next" value="{{ next }}">
<button type="submit">Log in</button>
</form>
<p><a href="/">Home</a></p>{% endblock %}
""",
    "home.html": """{% extends "base.html" %}
{% block title %}Club home{% endblock %}
{% block body %}<h1>The Riverside Rowing Club</h1>
<p>Welcome to the club's public pages.</p>
<ul>
<li><a href="/about/">About the club</a></li>
<li><a href="/accounts/login/">Member log in</a></li>
{% if user.is_authenticated %}<li><a href="/members/">Members' area</a></li>{% endif %}
</ul>{% endblock %}
""",
    "about.html": """{% extends "base.html" %}
{% block title %}About{% endblock %}
{% block body %}<h1>About the club</h1>
<p>The Riverside Rowing Club was founded by a handful of early risers who liked
cold water and strong coffee. We row most mornings from April to October and
welcome beginners on Saturday taster sessions.</p>
<p><a href="/">Home</a></p>{% endblock %}
""",
    "members.html": """{% extends "base.html" %}
{% block title %}Members{% endblock %}
{% block body %}<h1>Welcome back, {{ user.username }}</h1>
<ul>
<li><a href="/members/minutes/">Board minutes</a></li>
<li><a href="/members/prices/">Member prices</a></li>
<li><a href="/members/report.pdf">Annual report (PDF)</a></li>
<li><a href="/accounts/logout/">Log out</a></li>
<li><a href="/members/account/delete/">Delete my account</a></li>
</ul>{% endblock %}
""",
    "minutes.html": """{% extends "base.html" %}
{% block title %}Board minutes{% endblock %}
{% block body %}<h1>Board minutes</h1>
<p>Minutes of the March board meeting. Present were the chair, the treasurer,
the captain and two ordinary members. The treasurer reported that the boathouse
roof repair came in under budget and that the reserve fund now covers two full
seasons of insurance. The captain proposed retiring the old coxless four and
buying a second-hand eight; the motion carried four votes to one. The chair
reminded everyone that the spring regatta entry deadline is the last Friday of
the month and asked volunteers to sign up for marshalling duties.</p>
<p><a href="/members/">Back</a></p>{% endblock %}
""",
    "prices.html": """{% extends "base.html" %}
{% block title %}Member prices{% endblock %}
{% block body %}<h1>Member prices</h1>
<p>Member prices for the coming season are as follows. Full adult membership is
two hundred and ten pounds per year, payable in two instalments. Students and
juniors pay ninety pounds. Boat storage for private singles costs sixty pounds,
and the club discount at the chandlery on Mill Lane is fifteen percent on
presentation of a current membership card. Guests may row twice per season free
of charge when accompanied by a full member.</p>
<p><a href="/members/">Back</a></p>{% endblock %}
""",
    "deleted.html": """{% extends "base.html" %}
{% block title %}Account deleted{% endblock %}
{% block body %}<h1>Your account has been deleted</h1>
<p><a href="/">Home</a></p>{% endblock %}
""",
}

settings.configure(
    DEBUG=False,
    SECRET_KEY="authwall-test-fixture-not-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
    ],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH}},
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", TEMPLATES_SRC)],
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                ],
            },
        }
    ],
    LOGIN_URL="/accounts/login/",
    LOGIN_REDIRECT_URL="/members/",
    LOGOUT_REDIRECT_URL="/",
    LOGGING={
        "version": 1,
        "disable_existing_loggers": True,
        "handlers": {"null": {"class": "logging.NullHandler"}},
        "root": {"handlers": ["null"], "level": "CRITICAL"},
        "loggers": {
            "django": {"handlers": ["null"], "level": "CRITICAL", "propagate": False},
        },
    },
)
django.setup()

from django.contrib.auth import get_user_model, logout  # noqa: E402
from django.contrib.auth import views as auth_views  # noqa: E402
from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402

# A small but well-formed PDF (one empty page).
REPORT_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


def home(request):
    return render(request, "home.html")


def about(request):
    return render(request, "about.html")


def robots(request):
    return HttpResponse("User-agent: *\nAllow: /\n", content_type="text/plain")


@login_required
def members(request):
    return render(request, "members.html")


@login_required
def minutes(request):
    return render(request, "minutes.html")


def prices(request):  # deliberately NOT login_required: the page leak
    return render(request, "prices.html")


def report_pdf(request):  # deliberately NOT login_required: the file leak
    return HttpResponse(REPORT_PDF, content_type="application/pdf")


@login_required
def delete_account(request):  # destructive on GET: the crawler must never fetch it
    user = request.user
    logout(request)
    user.delete()
    return render(request, "deleted.html")


urlpatterns = [
    path("", home, name="home"),
    path("about/", about, name="about"),
    path("robots.txt", robots, name="robots"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("members/", members, name="members"),
    path("members/minutes/", minutes, name="minutes"),
    path("members/prices/", prices, name="prices"),
    path("members/report.pdf", report_pdf, name="report"),
    path("members/account/delete/", delete_account, name="delete_account"),
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # TCPServer's default of 5 stalls concurrent clients


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: app.py PORT")
    port = int(sys.argv[1])

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="ann")
    user.set_password(PASSWORD)
    user.save()

    # Exit cleanly (running atexit cleanup) when the test kills us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    httpd = make_server(
        "127.0.0.1", port, WSGIHandler(),
        server_class=ThreadingWSGIServer, handler_class=QuietHandler,
    )
    print("ready", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
