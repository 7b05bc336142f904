"""Every model has a factory that builds a valid row."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def _factories():
    return [
        getattr(factories, name)
        for name in dir(factories)
        if name.endswith("Factory") and hasattr(getattr(factories, name), "_meta")
    ]


@pytest.mark.parametrize("factory", _factories(), ids=lambda f: f.__name__)
def test_each_factory_creates_a_valid_row(factory):
    obj = factory()
    # The FSM status field refuses assignment, which full_clean would do.
    obj.full_clean(validate_unique=False, exclude=["password", "status"])
    assert type(obj)._default_manager.filter(pk=obj.pk).exists()


def test_every_model_of_ours_has_a_factory():
    from django.apps import apps

    covered = {f._meta.model for f in _factories()}
    ours = {
        model
        for app in ("procedures", "scheduling", "notifications", "radiology")
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    }
    assert ours - covered == set()
