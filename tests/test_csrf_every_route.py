"""Every staff form is refused without a valid CSRF token, read from the app's own route table:
a new staff POST route that forgets to check its token fails here, whichever route it is. The
post is made by someone the authorisation matrix lets through (so the token is the only thing
wrong), with no token, a forged one and the token of another person's session; each is a 403
that changes nothing."""

import re

from tests.support import form_token, post_login_form
from tests.test_authorisation_matrix import (
    ALLOWED,
    RULES,
    STAFF_ACTORS,
    _arrange,
    _cells,
    _csrf,
    _paths,
    _use,
    matrix_client,  # noqa: F401
    route_table,
)

# The pupil's form has no session to bind a token to: it is checked by its origin alone
# (test_web, test_staff_security).
NOT_STAFF = {"/p/{token}"}
# A form with every field a real one has, so only the token can stop it.
FULL_FORM = {
    "step": "write",
    "body": "x",
    "to_recipient": "centre",
    "pupil_consent": "agreed",
    "reason": "x",
    "shares": "thread",
    "language": "en",
    "login": "x",
    "password": "x",
    "code": "123456",
}


# Forms nobody is "allowed" through in the matrix, because they end or finish a login: who
# posts them in real life.
LOGGED_IN = {"/staff/logout": "nurse"}
PASSWORD_TYPED = "/staff/login/code"  # a right password a moment ago, the code not yet typed


def staff_posts() -> list[str]:
    return [path for method, path in route_table() if method == "POST" and path not in NOT_STAFF]


def someone_allowed(template: str, obj: str | None) -> str | None:
    if template in LOGGED_IN:
        return LOGGED_IN[template]
    expect = RULES[("POST", template)]
    return next((actor for actor in STAFF_ACTORS if expect(actor, obj) == ALLOWED), None)


def _as_poster(client, world, city, template: str, actor: str | None) -> None:
    """Cookies of someone who may post this form but for its token."""
    _use(client, world.cookies[actor] if actor else [])
    if template == PASSWORD_TYPED:
        (login,) = city.db.execute("SELECT login FROM staff WHERE role = 'centre'").fetchone()
        response = post_login_form(client, login, follow_redirects=False)
        assert response.headers["location"] == PASSWORD_TYPED


def test_there_are_staff_forms_to_check():
    assert len(staff_posts()) >= 20
    assert "/staff/reports/{report_id:id}/hand-over" in staff_posts()


def test_every_staff_form_is_refused_without_a_valid_token(matrix_client, city):  # noqa: F811
    client = matrix_client
    world = _arrange(client, city)
    tokens = {}
    for actor in STAFF_ACTORS:
        _use(client, world.cookies[actor])
        tokens[actor] = _csrf(client)
    client.cookies.clear()
    anonymous_token = form_token(client)  # a login page's, bound to another browser
    problems, checked = [], 0
    for template in staff_posts():
        for filled, obj in _paths(template):
            if obj == "huge":
                continue
            actor = someone_allowed(template, obj)
            if actor is None and template != PASSWORD_TYPED:
                continue  # nobody may post it at all: the matrix checks the refusal
            path = re.sub(r"<(\w+)>", lambda m: world.ids[m.group(1)], filled)
            others = [tokens[a] for a in STAFF_ACTORS if a != actor] + [anonymous_token]
            for token in (None, "forged", *others):
                _as_poster(client, world, city, template, actor)
                form = dict(FULL_FORM) | ({"csrf_token": token} if token is not None else {})
                before = _cells(city.db)
                response = client.post(path, data=form, follow_redirects=False)
                checked += 1
                if response.status_code != 403:
                    problems.append(f"{filled} as {actor}, {token!r:.12}: {response.status_code}")
                if _cells(city.db) != before:
                    problems.append(f"{filled} as {actor}: wrote without a valid token")
    assert checked > 100
    assert not problems, "\n".join(problems)
