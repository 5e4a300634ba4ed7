"""Public API of ``mmseg_ada`` carries Google-style docstrings (OpenMMLab
style), checked statically with :mod:`ast` (nothing is imported).

Public means: a function, method or class whose name does not start with
``_``, defined at module level or in the body of a public class (also under
module-level ``if``/``try``), in a module whose path has no part starting
with ``_`` other than ``__init__.py``.  Functions nested in functions are
local helpers and not checked.

Rules:

* every public class, function and method has a docstring;
* a public function or method with parameters (``*args``/``**kwargs``
  included; not the ``self``/``cls`` of a method, nor of a classmethod) has
  an ``Args:`` section;
* a public class whose ``__init__`` takes parameters documents them in the
  class docstring's ``Args:`` section.

Exempt: ``__init__`` itself (documented by its class, see above), and
properties (``@property``, ``@cached_property`` and their ``.setter`` /
``.deleter``), whose docstring describes the value.
"""
import ast
import re
import textwrap
from pathlib import Path

from tests.utils import REPO

ROOT = Path(REPO)
PACKAGE = ROOT / 'mmseg_ada'
ARGS = re.compile(r'^\s*Args:\s*$', re.M)
PROPERTY = {'property', 'cached_property', 'functools.cached_property'}

# Modules other work is changing now; to be documented (and removed from
# this set) once that work lands.  Paths ending in '/' cover a package.
PENDING: set = set()


def _pending(rel: str) -> bool:
    return any(
        rel.startswith(p) if p.endswith('/') else rel == p for p in PENDING)


def _modules() -> list:
    """Relative paths of the public, non-pending modules of the package."""
    mods = []
    for path in sorted(PACKAGE.rglob('*.py')):
        rel = path.relative_to(ROOT)
        if any(
                part.startswith('_') and part != '__init__.py'
                for part in rel.parts):
            continue
        if not _pending(rel.as_posix()):
            mods.append(rel.as_posix())
    return mods


def _is_property(node: ast.FunctionDef) -> bool:
    for deco in node.decorator_list:
        name = ast.unparse(deco)
        if name in PROPERTY or name.endswith(('.setter', '.deleter')):
            return True
    return False


def _params(node: ast.FunctionDef, in_class: bool) -> list:
    """Parameter names of ``node`` without a method's ``self``/``cls``."""
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args]
    static = any(ast.unparse(d) == 'staticmethod' for d in node.decorator_list)
    if in_class and not static and names:
        names = names[1:]
    names += [a.arg for a in args.kwonlyargs]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return names


def _problems(source: str, rel: str) -> list:
    """``file:line name: problem`` for each rule the module breaks."""
    tree = ast.parse(source, filename=rel)
    found = []

    def visit(body, in_class):
        for node in body:
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body + node.orelse, in_class)
                for handler in getattr(node, 'handlers', []):
                    visit(handler.body, in_class)
            elif isinstance(node, ast.ClassDef):
                if node.name.startswith('_'):
                    continue
                where = f'{rel}:{node.lineno} {node.name}'
                doc = ast.get_docstring(node)
                init = [
                    n for n in node.body
                    if isinstance(n, ast.FunctionDef) and n.name == '__init__'
                ]
                if doc is None:
                    found.append(f'{where}: class has no docstring')
                elif init and _params(init[0], True) and not ARGS.search(doc):
                    found.append(f'{where}: class docstring lacks Args: '
                                 'for __init__')
                visit(node.body, True)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith('_') or _is_property(node):
                    continue
                where = f'{rel}:{node.lineno} {node.name}'
                doc = ast.get_docstring(node)
                if doc is None:
                    found.append(f'{where}: no docstring')
                elif _params(node, in_class) and not ARGS.search(doc):
                    found.append(f'{where}: docstring lacks Args:')

    visit(tree.body, False)
    return found


def test_pending_paths_exist_and_are_skipped(monkeypatch):
    checked = _modules()
    for path in sorted(PENDING):
        assert (ROOT / path).exists(), f'stale PENDING entry: {path}'
        assert not any(m.startswith(path) for m in checked), path
    # The mechanism itself, also while PENDING is empty: a file entry skips
    # that module, a package entry ending in '/' everything under it.
    file, package = checked[0], 'mmseg_ada/active/'
    monkeypatch.setitem(globals(), 'PENDING', {file, package})
    skipped = set(checked) - set(_modules())
    assert file in skipped
    assert any(m.startswith(package) for m in checked)
    assert skipped == {
        m
        for m in checked if m == file or m.startswith(package)
    }


def test_rules_catch_missing_docs():
    """The checker itself flags what it should and spares the exemptions."""
    source = textwrap.dedent('''\
        class A:
            """A.

            Args:
                x (int): x.
            """
            def __init__(self, x):
                pass
            @property
            def p(self):
                return 1
            def f(self, y):
                """No args section."""
            def g(self):
                pass
            def _h(self, z):
                pass
            @staticmethod
            def s(v):
                """S.

                Args:
                    v: v.
                """
            @classmethod
            def c(cls):
                """Nothing to document."""
            def paint(self, cls):
                """A parameter named cls."""
        class B:
            """B."""
            def __init__(self, x):
                pass
        class _C:
            def f(self, x):
                pass
        def k(*args):
            """Nothing on args."""
            def local(y):
                pass
        if True:
            def m():
                pass
        ''')
    found = _problems(source, 'mod.py')
    assert [f.split(' ', 1)[1] for f in found] == [
        'f: docstring lacks Args:',
        'g: no docstring',
        'paint: docstring lacks Args:',
        'B: class docstring lacks Args: for __init__',
        'k: docstring lacks Args:',
        'm: no docstring',
    ]


def test_public_api_is_documented():
    problems = [
        p for rel in _modules()
        for p in _problems((ROOT / rel).read_text(), rel)
    ]
    assert not problems, (f'{len(problems)} public definitions lack '
                          'docstrings or Args: sections:\n' +
                          '\n'.join(problems))
