"""DSFR rendering for every form of the platform (plain and model forms)."""

from django import forms
from dsfr.forms import DsfrBaseForm


class DsfrFormMixin:
    """Render a form (including a ModelForm or Django's own auth forms) with the DSFR markup."""

    template_name = DsfrBaseForm.template_name
    bound_field_class = DsfrBaseForm.bound_field_class
    default_renderer = DsfrBaseForm.default_renderer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from dsfr.utils import dsfr_input_class_attr

        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)


class DsfrForm(DsfrFormMixin, forms.Form):
    pass


class DsfrModelForm(DsfrFormMixin, forms.ModelForm):
    pass
