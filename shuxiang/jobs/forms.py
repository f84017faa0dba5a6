"""What every upload page of an import checks the same way."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _


def refuse_oversized(upload: UploadedFile[bytes]) -> None:
    """ValidationError when the file is over SHUXIANG_MAX_UPLOAD_MB."""
    limit = settings.SHUXIANG_MAX_UPLOAD_MB
    if (upload.size or 0) > limit * 1024 * 1024:
        raise forms.ValidationError(
            _("The file is larger than %(mb)s MB: split it, or ask for a larger limit.")
            % {"mb": limit}
        )
