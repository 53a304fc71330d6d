"""No English left on the desk: every text of its templates and code is translated."""

import re
from pathlib import Path

from django.utils import translation

DESK = Path(__file__).resolve().parents[2] / "desk"
TEMPLATE_TEXT = re.compile(r'{%\s*translate\s+"([^"]+)"|{%\s*translate\s+\'([^\']+)\'')
BLOCK_TEXT = re.compile(
    r"{%\s*blocktranslate\b([^%]*)%}(.*?)(?:{%\s*plural\s*%}(.*?))?{%\s*endblocktranslate\s*%}",
    re.S,
)
CODE_TEXT = re.compile(r'(?<![\w.])_\(\s*"((?:[^"\\]|\\.)+)"\s*\)')
PLURAL_TEXT = re.compile(r'ngettext\(\s*"((?:[^"\\]|\\.)+)",\s*"((?:[^"\\]|\\.)+)"')


def _block_msgid(body: str) -> str:
    return re.sub(r"{{\s*(\w+)[^}]*}}", r"%(\1)s", body)


def desk_texts() -> tuple[set[str], set[tuple[str, str]]]:
    singles, plurals = set(), set()
    for path in (DESK / "templates").rglob("*.html"):
        source = path.read_text()
        for match in TEMPLATE_TEXT.finditer(source):
            singles.add(match.group(1) or match.group(2))
        for match in BLOCK_TEXT.finditer(source):
            if match.group(3) is not None:
                plurals.add((_block_msgid(match.group(2)), _block_msgid(match.group(3))))
            else:
                singles.add(_block_msgid(match.group(2)))
    for path in DESK.rglob("*.py"):
        source = path.read_text()
        singles.update(CODE_TEXT.findall(source))
        plurals.update(PLURAL_TEXT.findall(source))
    return singles, plurals


def test_every_desk_text_is_translated_to_vietnamese():
    singles, plurals = desk_texts()
    assert len(singles) > 100 and len(plurals) >= 3  # the scan found the texts
    with translation.override("vi"):
        missing = sorted(text for text in singles if translation.gettext(text) == text)
        missing += sorted(
            one for one, many in plurals if translation.ngettext(one, many, 2) in (one, many)
        )
    assert missing == []
