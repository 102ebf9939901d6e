"""Shared helpers for pages: map a service's DomainError onto a form."""

from __future__ import annotations

from django import forms

from ggzy.core.errors import DomainError


def attach_error(form: forms.Form, exc: DomainError) -> int:
    """Show ``exc`` on its field (or on the form) and return the HTTP status to answer with."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, f"{exc.message}（{exc.code.value}）")
    return exc.status


class StyledForm(forms.Form):
    """Adds ``aria-describedby`` for help texts so screen readers read them."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs.setdefault("aria-describedby", f"id_{name}-help")
