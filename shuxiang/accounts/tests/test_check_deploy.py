"""`manage.py check --deploy` is clean in the production configuration (SHUXIANG_HTTPS)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile

from django.test import SimpleTestCase


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as data_dir:
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("SHUXIANG_", "DJANGO_"))
        }
        environ.update(
            SHUXIANG_DATA_DIR=data_dir,
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="library.school.example",
            DJANGO_SETTINGS_MODULE="shuxiang.settings",
            **env,
        )
        environ.pop("DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )


class CheckDeployTests(SimpleTestCase):
    def test_it_is_clean_over_https(self) -> None:
        result = check_deploy(SHUXIANG_HTTPS="1")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        # The one silenced check, W021 (HSTS preload), is opt-in: see docs/security.md.
        self.assertIn("System check identified no issues (1 silenced).", result.stdout)

    def test_it_is_clean_behind_a_tls_proxy(self) -> None:
        result = check_deploy(SHUXIANG_HTTPS="proxy")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_with_preload_chosen_nothing_needs_silencing_but_the_list(self) -> None:
        result = check_deploy(SHUXIANG_HTTPS="1", SHUXIANG_HSTS_PRELOAD="1")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_plain_http_on_the_school_network_names_what_https_would_add(self) -> None:
        result = check_deploy()
        self.assertNotEqual(result.returncode, 0)
        for check in ("W004", "W008", "W012", "W016"):  # HSTS, redirect, two secure cookies
            self.assertIn(f"security.{check}", result.stderr + result.stdout)
        for check in ("W009", "W018", "W020"):  # secret key, DEBUG, ALLOWED_HOSTS: all fine
            self.assertNotIn(f"security.{check}", result.stderr + result.stdout)
