"""Class pages (班级): the librarian's list, a class page, editing, a homeroom teacher's own class."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from shuxiang.patrons import permissions


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_patrons(request.user):
        raise PermissionDenied
    return HttpResponse("")


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.get_class_for_user(request.user, pk)
    return HttpResponse("")


@login_required
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_manage_patrons(request.user):
        raise PermissionDenied
    return HttpResponse("")


@login_required
def my_class(request: HttpRequest) -> HttpResponse:
    if not permissions.is_homeroom(request.user):
        raise PermissionDenied
    classes = list(permissions.visible_classes(request.user))
    if len(classes) == 1:
        return redirect("patrons:class_detail", pk=classes[0].pk)
    return HttpResponse("")
