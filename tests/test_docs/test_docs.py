"""The README is a landing page and every document it leads to is reachable:
relative links (and their #anchors) resolve, the commands CI and users run
are stated, and the docs cite papers by title, not by local paths."""
import re
from pathlib import Path

import pytest

from tests.utils import REPO

ROOT = Path(REPO)
README = ROOT / 'README.md'
DOCS = sorted([
    README, *(ROOT / 'docs').glob('*.md'),
    *(ROOT / 'configs').glob('*/README.md')
])
LINK = re.compile(r'\]\(([^)\s]+)\)')


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def _anchors(path: Path) -> set:
    text = re.sub(r'```.*?```', '', path.read_text(), flags=re.S)
    return {
        _slug(m.group(1))
        for m in re.finditer(r'^#+ (.*)$', text, flags=re.M)
    }


def test_readme_is_a_landing_page():
    text = README.read_text()
    assert len(text.splitlines()) <= 220
    assert 'make test' in text  # CI's command
    assert 'make demo' in text and 'make test-fast' in text
    assert '## Demo results' in text
    for method in ('adeada', 'ada_mcu', 'lada', 'sdm', 'sage',
                   'active_baselines', 'cls_baselines'):
        assert f'(configs/{method}/README.md)' in text, method


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    for target in LINK.findall(doc.read_text()):
        if re.match(r'[a-z]+:', target):  # http(s), mailto
            continue
        file, _, anchor = target.partition('#')
        dest = (doc.parent / file).resolve() if file else doc
        assert dest.exists(), f'{doc.name}: {target}'
        if anchor and dest.suffix == '.md':
            assert anchor in _anchors(dest), f'{doc.name}: {target}'


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_cite_papers_not_local_paths(doc):
    text = doc.read_text()
    assert '../shared/' not in text
    assert 'this machine' not in text
