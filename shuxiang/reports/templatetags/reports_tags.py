"""How the report pages write a figure: shares as percentages, per-student figures as numbers,
exactly as the Markdown and the Word summary write them (reports.output)."""

from django import template

from shuxiang.reports import output

register = template.Library()


@register.filter
def share(value: float) -> str:
    """0.8571 → 85.7%."""
    return output.percent(value)


@register.filter
def per_student(value: float) -> str:
    """2.5 → 2.5; 3.0 → 3."""
    return output.number(value)
