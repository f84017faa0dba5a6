"""Template helpers shared by every page (base.html loads them)."""

from __future__ import annotations

from django import template
from django.conf import settings

from shuxiang.catalog.forms import LANGUAGES
from shuxiang.catalog.forms import role_label as _role_label
from shuxiang.lib import isbn

register = template.Library()


@register.simple_tag
def library_name() -> str:
    """The school's name (SHUXIANG_SCHOOL_NAME), shown beside the product's; may be empty."""
    return str(settings.SHUXIANG_SCHOOL_NAME)


@register.filter
def role_label(role: str) -> str:
    return _role_label(role)


@register.filter
def language_label(code: str) -> str:
    return str(dict(LANGUAGES).get(code, code))


@register.filter
def isbn_display(value: str) -> str:
    """978-7-02-000220-7 for a valid ISBN; anything else as it was stored."""
    try:
        return isbn.hyphenate(value)
    except ValueError:
        return value
