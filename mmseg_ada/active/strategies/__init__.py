"""Selection strategies, one public class per file.

Every module of this package is imported here, so a strategy file dropped
into the package registers itself in :data:`mmseg_ada.registry.STRATEGIES`
without editing this file; a strategy outside the package registers through
``custom_imports`` in the config.  ``__all__`` lists the strategy classes
found.
"""
import importlib
import inspect
import pkgutil

from .base import BaseStrategy

__all__ = ['BaseStrategy']

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith('_') or _info.name == 'base':
        continue
    _module = importlib.import_module(f'{__name__}.{_info.name}')
    for _name in getattr(_module, '__all__', ()):
        _obj = getattr(_module, _name)
        if (inspect.isclass(_obj)
                and issubclass(_obj, BaseStrategy)) or (_name.isupper()):
            globals()[_name] = _obj
            __all__.append(_name)
