"""The public API: everything in afteraction.__all__ exists and says where it lives."""

from __future__ import annotations

import afteraction


def test_all_exports_exist_and_are_documented():
    for name in afteraction.__all__:
        member = getattr(afteraction, name)
        if name != "__version__":
            assert member.__module__.startswith("afteraction."), name
            assert member.__doc__, f"{name} has no docstring"


def test_no_public_name_is_left_out_of_all():
    public = {n for n in dir(afteraction) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(afteraction.__all__)
