"""What must never stop training (figures, records for figures)."""
from mmengine.logging import print_log

__all__ = ['log_failure']


def log_failure(who: str, what: str, exc: BaseException) -> None:
    """Log ``exc`` as a warning (``'<who>: <what> failed: <type>: <exc>'``)
    instead of raising: a picture must never stop a run.

    Args:
        who: the component (e.g. the model's class name).
        what: what failed (e.g. ``'acquisition figure'``).
        exc: the exception caught.
    """
    print_log(
        f'{who}: {what} failed: {type(exc).__name__}: {exc}',
        logger='current',
        level=30)
