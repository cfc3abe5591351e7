"""Class mode's login in the app (``study serve``): streamlit-authenticator's form against the
accounts in the library home, and who is signed in.

With ``class_mode`` off (``study ui``, ``make run``) nothing here draws anything: the one user
is ``DEFAULT_USER`` and sees every page, as before.
"""

from __future__ import annotations

import streamlit as st

from ground.schema import DEFAULT_USER
from ground.settings import Settings
from ui.class_mode_accounts import cookie_key, credentials
from ui.texts import t

COOKIE_NAME = "study_class_login"
TEACHER_PAGES = ("library", "settings")  # students read and practise; they never change these


def class_mode(settings: Settings) -> bool:
    return settings.class_mode == "on"


def signed_in_role(settings: Settings) -> str | None:
    """Draw the login form until someone signs in (then stop this run); the signed-in role, or
    None when class mode is off. The sidebar shows who is signed in and a logout button."""
    if not class_mode(settings):
        return None
    import streamlit_authenticator as stauth

    authenticator = stauth.Authenticate(
        credentials(settings.home), COOKIE_NAME, cookie_key(settings.home),
        cookie_expiry_days=1, auto_hash=False)
    if not st.session_state.get("authentication_status"):
        st.title("📚 " + t("class_login_title"))
        authenticator.login(location="main", key="class_login", fields={
            "Form name": t("class_login"), "Username": t("class_username"),
            "Password": t("class_password"), "Login": t("class_login_button")})
        if st.session_state.get("authentication_status") is False:
            st.error(t("class_login_failed"))
        if not st.session_state.get("authentication_status"):
            st.stop()
        st.rerun()  # signed in: draw the pages without the login form under them
    roles = st.session_state.get("roles") or ["student"]
    with st.sidebar:
        st.caption(t("class_signed_in", name=st.session_state.get("username", ""),
                     role=t("class_role_" + roles[0])))
        authenticator.logout(t("class_logout"), location="sidebar", key="class_logout")
    return roles[0]


def is_student(settings: Settings) -> bool:
    """Class mode with a student signed in: they read and practise, never manage."""
    roles = st.session_state.get("roles") or ["student"]
    return class_mode(settings) and roles[0] == "student"


def current_user() -> str:
    """Whose study history this session reads and writes."""
    if st.session_state.get("authentication_status") and st.session_state.get("username"):
        return st.session_state["username"]
    return DEFAULT_USER
