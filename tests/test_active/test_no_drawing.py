"""``mmseg_ada.active`` computes and draws nothing.

Every module under ``mmseg_ada/active/`` is read as an AST (nothing is
imported): none may import a plotting or drawing library (matplotlib,
PIL's ``ImageDraw``/``ImageFont``, seaborn, plotly), nor call OpenCV's
drawing functions; the figures live in :mod:`mmseg_ada.visualization`.
"""
import ast
from pathlib import Path

import pytest

ACTIVE = Path(__file__).resolve().parents[2] / 'mmseg_ada' / 'active'
#: modules (and their submodules) that draw
PLOTTING = ('matplotlib', 'seaborn', 'plotly', 'PIL.ImageDraw',
            'PIL.ImageFont', 'mmseg_ada.visualization')
#: names of ``PIL`` that draw
PIL_DRAWING = ('ImageDraw', 'ImageFont')
#: OpenCV's drawing functions
CV2_DRAWING = ('rectangle', 'circle', 'line', 'putText', 'polylines',
               'fillPoly', 'drawContours', 'ellipse', 'arrowedLine', 'imshow',
               'applyColorMap')


def _is_plotting(module: str) -> bool:
    return any(module == p or module.startswith(p + '.') for p in PLOTTING)


def _drawing_uses(path: Path) -> list:
    """``(line, what)`` of each drawing import or call in ``path``."""
    tree = ast.parse(path.read_text(encoding='utf-8'), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f'import {a.name}') for a in node.names
                      if _is_plotting(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mod = node.module or ''
            if _is_plotting(mod):
                found.append((node.lineno, f'from {mod} import ...'))
            elif mod == 'PIL':
                found += [(node.lineno, f'from PIL import {a.name}')
                          for a in node.names if a.name in PIL_DRAWING]
            elif mod == 'mmseg_ada':
                found += [(node.lineno, 'from mmseg_ada import visualization')
                          for a in node.names if a.name == 'visualization']
        elif (isinstance(node, ast.Attribute)
              and isinstance(node.value, ast.Name) and node.value.id == 'cv2'
              and node.attr in CV2_DRAWING):
            found.append((node.lineno, f'cv2.{node.attr}'))
    return found


MODULES = sorted(ACTIVE.rglob('*.py'))


def test_the_scan_sees_the_package():
    assert len(MODULES) > 30
    assert ACTIVE / 'strategies' / 'base.py' in MODULES


@pytest.mark.parametrize(
    'path', MODULES, ids=[str(p.relative_to(ACTIVE)) for p in MODULES])
def test_active_module_does_not_draw(path):
    found = _drawing_uses(path)
    assert not found, (f'mmseg_ada/active/{path.relative_to(ACTIVE)} draws: ' +
                       ', '.join(f'line {n}: {what}' for n, what in found) +
                       ' (figures belong in mmseg_ada/visualization)')


def test_importing_active_pulls_no_plotting_library():
    """Follow the imports of ``mmseg_ada.active`` (module level and inside
    functions) through the package: none reaches a plotting library."""
    root = ACTIVE.parent.parent
    seen, todo, bad = set(), ['mmseg_ada.active'], []

    def source(mod: str):
        base = root.joinpath(*mod.split('.'))
        for p in (base / '__init__.py', base.with_suffix('.py')):
            if p.is_file():
                return p
        return None

    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = source(mod)
        if path is None:
            continue
        pkg = mod if path.name == '__init__.py' else mod.rpartition('.')[0]
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = pkg.split('.')
                    parts = parts[:len(parts) - node.level + 1]
                    base = '.'.join(parts +
                                    ([node.module] if node.module else []))
                else:
                    base = node.module or ''
                names = [base] + [f'{base}.{a.name}' for a in node.names]
            for name in names:
                if _is_plotting(name):
                    bad.append(f'{path.relative_to(root)}: {name}')
                elif name.startswith('mmseg_ada.active'):
                    todo.append(name)
    assert 'mmseg_ada.active.strategies.base' in seen
    assert not bad, 'mmseg_ada.active imports plotting: ' + ', '.join(bad)
