"""The keymap is data: ids, tooltips, remapping, the F1 help and docs/keys.md come from it."""

from __future__ import annotations

from tests.conftest import REPO_ROOT
from workbench.tui import help as help_content
from workbench.tui import keymap


def test_every_key_has_a_unique_id_a_tooltip_and_never_ctrl_enter() -> None:
    ids = [key.id for key in keymap.all_keys()]
    assert len(ids) == len(set(ids))
    for key in keymap.all_keys():
        assert key.id and key.tooltip and key.description, key
        assert "ctrl+enter" not in key.key
        binding = key.binding()
        assert binding.id == key.id and binding.tooltip == key.tooltip


def test_config_keys_are_checked() -> None:
    keys, problems = keymap.user_keymap({"keys": {"review.save": "f2", "nope": "x", "app.help": ""}})
    assert keys == {"review.save": "f2"}
    assert len(problems) == 2
    assert keymap.user_keymap({"keys": "ctrl+s"})[1]


def test_help_shows_remapped_keys() -> None:
    text = help_content.markdown("review", {"review.save": "f2"})
    assert "| `f2` | Save the episode to the log |" in text
    assert "ctrl+s" not in text.split("| key |")[1].split("Save the episode")[0]


def test_every_screen_has_help() -> None:
    for name in help_content.SCREENS:
        text = help_content.markdown(name, {})
        assert text.startswith("## ") and "| key | does |" in text


def test_docs_keys_md_is_current() -> None:
    # Regenerate with: python -c "from workbench.tui.help import keys_document as k; open('docs/keys.md','w').write(k())"
    assert (REPO_ROOT / "docs" / "keys.md").read_text(encoding="utf-8") == help_content.keys_document()
