"""Start, drive and stop a real local Label Studio server.

The "people in the loop" round trip exports each active-learning round's
picks to Label Studio as tasks, a person annotates them, and the labels come
back through Label Studio's JSON export.  This module lets the integration
tests and the demo do that against a REAL Label Studio 1.23.2:

* :func:`find_label_studio` finds the ``label-studio`` executable of the
  separate virtual environment ``make labelstudio`` creates
  (``scripts/install_label_studio.sh``; its pins clash with the project's);
* :class:`LabelStudioServer` starts it on ``127.0.0.1`` with a fresh data
  dir, waits for ``/health`` and stops the whole process group again;
* :class:`LabelStudioClient` is a small ``urllib`` client for the REST API
  calls the round trip needs (projects, local-files storage, task import,
  annotation submit as the web UI does it, JSON export).

Only the standard library is used: this runs in the project's venv, which
has neither ``requests`` nor ``label-studio-sdk``.

What Label Studio 1.23.2 needs, as found when this was written:

* ``--internal-host`` is the address the server binds (default ``0.0.0.0``);
  ``--host`` is NOT that, it is the public URL used in generated links and
  must start with ``http(s)://``, as must the ``HOST`` environment variable
  it falls back to (so ``HOST`` is removed from the server's environment);
* ``LABEL_STUDIO_USERNAME``/``_PASSWORD``/``_USER_TOKEN`` create the first
  user and its token on a fresh data dir, and the token is only accepted as
  ``Authorization: Token ...`` with ``LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN``
  (legacy tokens are off by default: 401);
* images are served from disk at ``/data/local-files/?d=<path relative to
  the document root>`` only with ``LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED``
  and ``..._DOCUMENT_ROOT``, to an authenticated user, and only for files
  under the ``path`` of some local-files import storage of a project the
  user can see (see :meth:`LabelStudioClient.add_local_storage`);
* ``label-studio --version`` prints the versions and then STARTS A SERVER
  (0.0.0.0:8080, ``~/.local/share/label-studio``): never call it.
"""
from __future__ import annotations

import atexit
import datetime
import json
import os
import os.path as osp
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LABEL_STUDIO_VERSION = '1.23.2'
#: environment variable naming the Label Studio venv (overrides the default)
VENV_ENV_VAR = 'MMSEG_ADA_LS_VENV'
DEFAULT_VENV = osp.join(REPO, '.venv-labelstudio')
INSTALL_COMMAND = 'make labelstudio'
# the server is local: never go through an http(s)_proxy of the environment
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

__all__ = [
    'LabelStudioClient', 'LabelStudioError', 'LabelStudioHTTPError',
    'LabelStudioServer', 'find_label_studio', 'find_label_studio_python',
    'label_round', 'leftover_processes'
]


class LabelStudioError(RuntimeError):
    """The Label Studio server could not be started (or died)."""


class LabelStudioHTTPError(RuntimeError):
    """A request to Label Studio failed.

    The arguments are kept as attributes of the same names.

    Args:
        status (int | None): the HTTP status; ``None`` when no response came
            (connection refused, timeout).
        method (str): ``GET``, ``POST``, ...
        url (str): the full URL requested.
        body (str | bytes): the response body (or the reason); bytes are
            decoded as UTF-8, and it is kept truncated to ``MAX_BODY``
            characters.
    """

    MAX_BODY = 2000

    def __init__(self, status, method, url, body):
        if isinstance(body, bytes):
            body = body.decode('utf-8', 'replace')
        body = body or ''
        if len(body) > self.MAX_BODY:
            body = body[:self.MAX_BODY] + f'... [{len(body)} chars]'
        self.status = status
        self.method = method
        self.url = url
        self.body = body
        what = f'HTTP {status}' if status is not None else 'no response'
        super().__init__(f'{method} {url} -> {what}: {body}')


def _venv_dir(venv=None):
    return venv or os.environ.get(VENV_ENV_VAR) or DEFAULT_VENV


def find_label_studio(venv=None) -> str:
    """Path of the ``label-studio`` executable to run.

    Looked up in ``venv`` if given, else in ``$MMSEG_ADA_LS_VENV``, else in
    ``<repo>/.venv-labelstudio`` (where ``make labelstudio`` installs it).

    Args:
        venv (str, optional): the Label Studio venv; default
            ``$MMSEG_ADA_LS_VENV``, else ``<repo>/.venv-labelstudio``.

    Returns:
        str: ``<venv>/bin/label-studio``.

    Raises:
        FileNotFoundError: no executable there; the message names the
            install command.
    """
    venv = _venv_dir(venv)
    exe = osp.join(venv, 'bin', 'label-studio')
    if not (osp.isfile(exe) and os.access(exe, os.X_OK)):
        raise FileNotFoundError(
            f'Label Studio {LABEL_STUDIO_VERSION} is not installed: no '
            f'executable {exe}. Install it with `{INSTALL_COMMAND}` in '
            f'{REPO} (scripts/install_label_studio.sh, its own venv, ~4 '
            f'min), or point ${VENV_ENV_VAR} at a venv that has it.')
    return exe


def find_label_studio_python(venv=None) -> str:
    """The Python interpreter of the Label Studio venv.

    Useful to run Label Studio's own code in a subprocess, e.g. its brush
    RLE codec ``label_studio_sdk.converter.brush`` (``mask2rle``,
    ``decode_rle``).  Same lookup and error as :func:`find_label_studio`.

    Args:
        venv (str, optional): the Label Studio venv; default
            ``$MMSEG_ADA_LS_VENV``, else ``<repo>/.venv-labelstudio``.

    Returns:
        str: ``<venv>/bin/python``.
    """
    exe = find_label_studio(venv)
    return osp.join(osp.dirname(exe), 'python')


def free_port(host='127.0.0.1') -> int:
    """A TCP port nobody listens on right now (the OS picks it).

    Args:
        host (str): the address to bind.

    Returns:
        int: the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------

# process groups of the servers started by this process and not stopped yet,
# killed at interpreter exit whatever happened to the objects
_LIVE_GROUPS = {}


def _kill_group(pgid, proc=None, grace=10.0):
    """SIGTERM the process group, SIGKILL after ``grace`` seconds."""

    def group_alive():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - not our group any more
            return False
        return True

    if not group_alive():
        if proc is not None:
            proc.wait()
        return
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc is not None:
            proc.poll()  # reap the leader, else it stays a zombie member
        if not group_alive():
            break
        time.sleep(0.1)
    else:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if proc is not None:
        proc.wait()
    # members that outlived the leader
    deadline = time.monotonic() + grace
    while group_alive() and time.monotonic() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            break
        time.sleep(0.1)


@atexit.register
def _kill_leftover_servers():
    for pgid, proc in list(_LIVE_GROUPS.items()):
        _kill_group(pgid, proc, grace=5.0)
        _LIVE_GROUPS.pop(pgid, None)


def _die_with_parent():  # pragma: no cover - runs in the child
    """``preexec_fn``: SIGTERM the child when its parent dies (Linux).

    Covers the case where the test process is killed outright (SIGKILL, a
    timeout's ``os._exit``) and neither ``atexit`` nor ``__exit__`` runs.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


class LabelStudioServer:
    """A real Label Studio server on ``127.0.0.1``, as a context manager.

    ::

        with LabelStudioServer(tmp / 'ls', tmp / 'images') as server:
            client = server.client()
            project = client.create_project('round 0', config)

    Args:
        data_dir (str): Label Studio's data dir (database, media, secret key,
            export files); created if missing, and best fresh: an existing
            database keeps its users, so other credentials are ignored.  The
            server's log goes to ``<data_dir>/label_studio.log``.
        document_root (str): the folder images are served from
            (``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``); created if missing.
            A local-files storage must then be a strict subfolder of it.
        port (int, optional): the port; a free one when ``None``.
        username (str): e-mail of the user created on a fresh data dir.
        password (str): its password (to log into the web UI).
        token (str, optional): its API token (at most 40 characters); a
            random one when ``None`` (see :attr:`token`).
        exe (str, optional): the ``label-studio`` executable; default
            :func:`find_label_studio`.
        start_timeout (float): seconds :meth:`start` waits for ``/health``.
            Start-up is dominated by the migrations of the fresh database:
            ~35 s on an idle machine, 65-115 s measured on a busy 2-core
            one.
        extra_env (dict, optional): more environment variables for the
            server (e.g. ``LABEL_STUDIO_LOG_LEVEL``); they override ours.
        die_with_parent (bool): on Linux, have the kernel SIGTERM the server
            when the thread that started it dies (``PR_SET_PDEATHSIG``), so
            a killed test run never leaks it.  Turn it off to start a server
            from a short-lived thread.
    """

    LOG_NAME = 'label_studio.log'

    def __init__(self,
                 data_dir,
                 document_root,
                 port=None,
                 username='ada@example.com',
                 password='mmseg-ada-password',
                 token=None,
                 exe=None,
                 start_timeout=180,
                 extra_env=None,
                 die_with_parent=True):
        self.data_dir = osp.abspath(os.fspath(data_dir))
        self.document_root = osp.abspath(os.fspath(document_root))
        self.port = port
        self.username = username
        self.password = password
        self.token = token or secrets.token_hex(20)
        if len(self.token) > 40:
            raise ValueError('Label Studio tokens have at most 40 characters')
        self.exe = exe
        self.start_timeout = start_timeout
        self.extra_env = dict(extra_env or {})
        self.die_with_parent = die_with_parent
        self.proc = None
        self.pgid = None
        self.startup_seconds = None
        self._log = None

    # -- properties ------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self.port is None:
            raise LabelStudioError('the server has no port yet: start() it')
        return f'http://127.0.0.1:{self.port}'

    @property
    def log_path(self) -> str:
        return osp.join(self.data_dir, self.LOG_NAME)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self, timeout=60) -> 'LabelStudioClient':
        """A :class:`LabelStudioClient` for this server and its token.

        Args:
            timeout (float): seconds per request.

        Returns:
            LabelStudioClient: the client.
        """
        return LabelStudioClient(self.url, self.token, timeout=timeout)

    def local_files_url(self, path) -> str:
        """The task-data URL Label Studio serves the file ``path`` at.

        ``/data/local-files/?d=<path relative to the document root>``; it is
        only served once a local-files storage covers the file's folder
        (:meth:`LabelStudioClient.add_local_storage`).

        Args:
            path (str): a file under the server's document root.

        Returns:
            str: the URL path (relative to the server).

        Raises:
            ValueError: If ``path`` is not under the document root.
        """
        path = osp.abspath(os.fspath(path))
        rel = osp.relpath(path, self.document_root)
        if rel == '.' or rel.startswith('..') or osp.isabs(rel):
            raise ValueError(f'{path} is not under the document root '
                             f'{self.document_root}')
        return '/data/local-files/?d=' + urllib.parse.quote(
            rel.replace(os.sep, '/'))

    def log_tail(self, lines=40) -> str:
        """The last ``lines`` lines of the server's log.

        Args:
            lines (int): how many lines.

        Returns:
            str: the lines (``''`` if the log cannot be read).
        """
        try:
            with open(self.log_path, encoding='utf-8', errors='replace') as f:
                return ''.join(deque(f, maxlen=lines))
        except OSError:
            return ''

    # -- start / stop ----------------------------------------------------
    def environment(self) -> dict:
        """The environment the server runs with.

        The caller's environment without anything Label Studio or Django
        would read (``HOST`` must be a URL or absent, ``LABEL_STUDIO_*``,
        ``HEARTEX_*``, ``DJANGO_*``) nor the project venv's Python settings,
        plus our users, token and local-files settings; version checks,
        analytics and Sentry reports are off.
        """
        drop_prefixes = ('LABEL_STUDIO_', 'HEARTEX_', 'DJANGO_')
        drop = {'HOST', 'PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV'}
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in drop and not k.startswith(drop_prefixes)
        }
        env.update({
            'LABEL_STUDIO_BASE_DATA_DIR': self.data_dir,
            'LABEL_STUDIO_USERNAME': self.username,
            'LABEL_STUDIO_PASSWORD': self.password,
            'LABEL_STUDIO_USER_TOKEN': self.token,
            'LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN': 'true',
            'LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED': 'true',
            'LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT': self.document_root,
            # no calls out: pypi.org version check, analytics, Sentry
            'LABEL_STUDIO_LATEST_VERSION_CHECK': 'false',
            'LABEL_STUDIO_COLLECT_ANALYTICS': 'false',
            'LABEL_STUDIO_SENTRY_DSN': '',
            'LABEL_STUDIO_FRONTEND_SENTRY_DSN': '',
            'PYTHONUNBUFFERED': '1',
        })
        env.update({k: str(v) for k, v in self.extra_env.items()})
        return env

    def command(self) -> list:
        """The command line :meth:`start` runs."""
        return [
            self.exe, 'start', '--no-browser', '--internal-host', '127.0.0.1',
            '--port',
            str(self.port), '--data-dir', self.data_dir
        ]

    def start(self) -> 'LabelStudioServer':
        """Start the server and wait until ``/health`` answers ``UP``.

        Raises:
            FileNotFoundError: Label Studio is not installed.
            LabelStudioError: the process exited, or ``/health`` did not
                answer within ``start_timeout`` seconds (the server is then
                stopped); the message ends with the log's last 40 lines.
        """
        if self.running:
            return self
        if self.exe is None:
            self.exe = find_label_studio()
        os.makedirs(self.data_dir, exist_ok=True)
        os.makedirs(self.document_root, exist_ok=True)
        if self.port is None:
            self.port = free_port()
        self._log = open(self.log_path, 'ab')
        self._log.write(f'[mmseg_ada] {" ".join(self.command())}\n'.encode())
        self._log.flush()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.data_dir,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group
            preexec_fn=(_die_with_parent if self.die_with_parent
                        and sys.platform.startswith('linux') else None))
        self.pgid = self.proc.pid  # the session leader leads its group
        _LIVE_GROUPS[self.pgid] = self.proc
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self, t0):
        health = self.url + '/health'
        deadline = t0 + self.start_timeout
        last = None
        while True:
            code = self.proc.poll()
            if code is not None:
                raise LabelStudioError(
                    f'Label Studio exited with code {code} during start-up '
                    f'({" ".join(self.command())}); the last lines of '
                    f'{self.log_path}:\n{self.log_tail()}')
            try:
                with _OPENER.open(health, timeout=5) as r:
                    body = r.read()
                if json.loads(body or b'{}').get('status') == 'UP':
                    return
                last = body[:200]
            except (OSError, ValueError) as e:  # URLError is an OSError
                last = e
            if time.monotonic() > deadline:
                raise LabelStudioError(
                    f'Label Studio did not answer {health} with status UP '
                    f'within {self.start_timeout} s (last: {last!r}); the '
                    f'last lines of {self.log_path}:\n{self.log_tail()}')
            time.sleep(0.5)

    def stop(self, grace=10.0):
        """Stop the server's whole process group and wait for it.

        SIGTERM, then SIGKILL after ``grace`` seconds.  Safe to call twice.

        Args:
            grace (float): seconds between SIGTERM and SIGKILL.
        """
        if self.proc is not None:
            _kill_group(self.pgid, self.proc, grace=grace)
            _LIVE_GROUPS.pop(self.pgid, None)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def __del__(self):
        try:
            self.stop(grace=2.0)
        except Exception:
            pass


# --------------------------------------------------------------------------
# the client
# --------------------------------------------------------------------------


def _utc_iso(t: datetime.datetime) -> str:
    return t.astimezone(datetime.timezone.utc).isoformat(
        timespec='milliseconds').replace('+00:00', 'Z')


class LabelStudioClient:
    """A minimal Label Studio REST client (``urllib``, JSON).

    Args:
        url (str): the server, e.g. ``http://127.0.0.1:8080``.
        token (str): an API token, sent as ``Authorization: Token <token>``
            (the server needs ``LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true``).
        timeout (float): seconds per request.

    Every failed request raises :class:`LabelStudioHTTPError` (status,
    method, URL, truncated body).
    """

    def __init__(self, url, token, timeout=60):
        self.url = url.rstrip('/')
        self.token = token
        self.timeout = timeout

    # -- plumbing --------------------------------------------------------
    def request(self,
                method,
                path,
                body=None,
                params=None,
                raw=False,
                headers=None):
        """One request; the decoded JSON answer (``raw``: the bytes).

        Args:
            method (str): ``GET``, ``POST``, ...
            path (str): relative to the server (``/api/...``) or a full
                URL.
            body (optional): sent as JSON.
            params (dict, optional): added to the URL's query string.
            raw (bool): return the bytes, undecoded.
            headers (dict, optional): extra headers (they override the
                defaults).

        Returns:
            The decoded JSON (``None`` for an empty answer), or the bytes.

        Raises:
            LabelStudioHTTPError: an HTTP error, no response, or (not
                ``raw``) an answer that is not JSON.
        """
        url = path if '://' in path else self.url + '/' + path.lstrip('/')
        if params:
            sep = '&' if '?' in url else '?'
            url += sep + urllib.parse.urlencode(params)
        data = None
        hdrs = {'Authorization': f'Token {self.token}'}
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            hdrs['Content-Type'] = 'application/json'
        if not raw:
            hdrs['Accept'] = 'application/json'
        hdrs.update(headers or {})
        req = urllib.request.Request(
            url, data=data, method=method, headers=hdrs)
        try:
            with _OPENER.open(req, timeout=self.timeout) as r:
                content = r.read()
        except urllib.error.HTTPError as e:
            try:
                err_body = e.read()
            except Exception:  # pragma: no cover
                err_body = b''
            raise LabelStudioHTTPError(e.code, method, url, err_body) from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, 'reason', e)
            raise LabelStudioHTTPError(None, method, url, str(reason)) from e
        if raw:
            return content
        try:
            return json.loads(content) if content else None
        except ValueError as e:
            raise LabelStudioHTTPError(
                200, method, url,
                b'not JSON: ' + content[:LabelStudioHTTPError.MAX_BODY]) from e

    def get_bytes(self, path) -> bytes:
        """Authenticated GET of ``path`` (or a full URL), the raw bytes.

        E.g. ``client.get_bytes(task['data']['image'])`` to check Label
        Studio serves a task's image.

        Args:
            path (str): relative to the server, or a full URL.

        Returns:
            bytes: the body.
        """
        return self.request('GET', path, raw=True)

    def health(self) -> dict:
        """``GET /health``: ``{'status': 'UP'}`` when the server is up."""
        return self.request('GET', '/health')

    # -- projects, storage, tasks ------------------------------------------
    def create_project(self, title, label_config, **fields) -> dict:
        """Create a project; its JSON (``id``, ``label_config``, ...).

        Args:
            title (str): 3 to 50 characters (Label Studio refuses others).
            label_config (str): the labeling config XML, e.g. an ``<Image>``
                with ``<BrushLabels>`` for segmentation.
            **fields: other project fields (``description``,
                ``show_collab_predictions``, ``model_version``, ...).
        """
        body = dict(fields, title=title, label_config=label_config)
        return self.request('POST', '/api/projects', body)

    def project(self, project_id) -> dict:
        """The project's JSON.

        Args:
            project_id (int): the project.

        Returns:
            dict: ``GET /api/projects/<id>``.
        """
        return self.request('GET', f'/api/projects/{int(project_id)}')

    def add_local_storage(self,
                          project_id,
                          path,
                          title='images',
                          use_blob_urls=True,
                          regex_filter=None,
                          recursive_scan=False) -> dict:
        """Connect a local-files import storage to a project; its JSON.

        Label Studio 1.23.2 serves ``/data/local-files/?d=<rel>`` (``rel``
        relative to ``LOCAL_FILES_DOCUMENT_ROOT``) only if the requested
        file's folder is ``path`` or below it for some local-files import
        storage of a project the user can access; otherwise 404.  That check
        looks at storages only, not at tasks: tasks imported separately with
        :meth:`import_tasks` are served as soon as the storage exists, no
        sync is needed (and the storage is not synced here).

        Args:
            project_id (int): the project.
            path (str): absolute path of an existing folder that is a strict
                subfolder of the server's document root (the document root
                itself is refused, as is anything outside it: HTTP 400).
            title (str): the storage's name in the UI.
            use_blob_urls (bool): what a "Sync" in the UI would do with the
                files: ``True`` makes one task per file (with a
                ``/data/local-files/`` URL), ``False`` reads each file as
                JSON task(s).  Serving does not depend on it.  As our tasks
                are imported through the API, syncing this storage from the
                UI would add duplicate, prediction-less tasks: don't.
            regex_filter (str, optional): files a sync considers.
            recursive_scan (bool): whether a sync scans subfolders.
        """
        body = {
            'project': int(project_id),
            'path': osp.abspath(os.fspath(path)),
            'title': title,
            'use_blob_urls': bool(use_blob_urls),
            'recursive_scan': bool(recursive_scan),
        }
        if regex_filter is not None:
            body['regex_filter'] = regex_filter
        return self.request('POST', '/api/storages/localfiles', body)

    def import_tasks(self, project_id, tasks) -> dict:
        """Import tasks (JSON) into a project; Label Studio's import report.

        Each task is ``{'data': {...}, 'predictions': [...]}`` (predictions
        optional, each ``{'result': [...], 'model_version': str,
        'score': float}``); any extra keys in ``data`` are kept and come
        back in the export.  The report has ``task_count``,
        ``prediction_count``, ... and ``task_ids`` (the new tasks' ids, in
        order).

        Args:
            project_id (int): the project.
            tasks (Iterable[dict]): the tasks.

        Returns:
            dict: the import report.
        """
        return self.request(
            'POST',
            f'/api/projects/{int(project_id)}/import',
            list(tasks),
            params={'return_task_ids': 'true'})

    def tasks(self, project_id, page_size=100) -> list:
        """All of a project's tasks, by id, with data, predictions,
        annotations and drafts (``GET /api/tasks?fields=all``, every page).

        Args:
            project_id (int): the project.
            page_size (int): tasks per request.

        Returns:
            list[dict]: the tasks, sorted by id.
        """
        out, page = [], 1
        while True:
            try:
                ans = self.request(
                    'GET',
                    '/api/tasks',
                    params={
                        'project': int(project_id),
                        'page': page,
                        'page_size': int(page_size),
                        'fields': 'all'
                    })
            except LabelStudioHTTPError as e:
                # past the last page: 404 "Invalid page."
                if e.status == 404 and page > 1:
                    break
                raise
            batch = ans['tasks'] if isinstance(ans, dict) else ans
            out.extend(batch)
            total = ans.get('total') if isinstance(ans, dict) else None
            if not batch or (total is not None and len(out) >= total):
                break
            page += 1
        return sorted(out, key=lambda t: t['id'])

    def task(self, task_id) -> dict:
        """One task with its predictions and annotations.

        Args:
            task_id (int): the task.

        Returns:
            dict: ``GET /api/tasks/<id>``.
        """
        return self.request('GET', f'/api/tasks/{int(task_id)}')

    # -- annotating --------------------------------------------------------
    def create_annotation(self,
                          task_id,
                          result,
                          lead_time=None,
                          started_at=None,
                          parent_prediction=None,
                          parent_annotation=None,
                          draft_id=None,
                          project_id=None,
                          was_cancelled=False,
                          ground_truth=False) -> dict:
        """Submit an annotation the way the web UI's Submit button does.

        Label Studio 1.23.2's editor (``LSFWrapper.prepareData`` and
        ``submitCurrentAnnotation``) sends ``POST
        /api/tasks/<id>/annotations?project=<project id>`` with the body
        ``{lead_time, result, draft_id, parent_prediction,
        parent_annotation, started_at}``; the server adds ``completed_by``
        (the token's user), ``task``, ``project``, ``was_cancelled=False``
        and ``ground_truth=False``.  ``was_cancelled: true`` is what the
        Skip button adds; ``ground_truth`` is not sent by Submit (it is a
        separate action), both are sent here only when true.

        Args:
            task_id (int): the task.
            result (list): the regions, as the editor serializes them; a
                brush region is ``{'id', 'type': 'brushlabels',
                'from_name', 'to_name', 'origin': 'manual',
                'original_width', 'original_height', 'image_rotation': 0,
                'value': {'format': 'rle', 'rle': [...],
                'brushlabels': [label]}}``.
            lead_time (float, optional): seconds spent on the task; default
                ``now - started_at``, or 0.
            started_at (datetime, optional): when the annotator opened the
                task (sent as ISO-8601 UTC; 1.23.2's open-source server
                ignores it); default ``now - lead_time``.
            parent_prediction (int, optional): id of the prediction the
                annotator started from (the UI sets it when the annotation
                was created from a pre-annotation).
            parent_annotation (int, optional): id of the annotation it was
                copied from.
            draft_id (int, optional): the draft being submitted (deleted by
                the server); the UI sends 0 when there is none.
            project_id (int, optional): sent as ``?project=`` like the UI.
            was_cancelled (bool): a skip instead of a submit.
            ground_truth (bool): mark it as ground truth.

        Returns:
            dict: the created annotation.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        if lead_time is None:
            lead_time = ((now - started_at).total_seconds()
                         if started_at is not None else 0.0)
        if started_at is None:
            started_at = now - datetime.timedelta(seconds=float(lead_time))
        body = {
            'lead_time': float(lead_time),
            'result': list(result),
            'draft_id': 0 if draft_id is None else int(draft_id),
            'parent_prediction': parent_prediction,
            'parent_annotation': parent_annotation,
            'started_at': _utc_iso(started_at),
        }
        if was_cancelled:
            body['was_cancelled'] = True
        if ground_truth:
            body['ground_truth'] = True
        params = {'project': int(project_id)} if project_id else None
        return self.request(
            'POST',
            f'/api/tasks/{int(task_id)}/annotations',
            body,
            params=params)

    # -- exporting ---------------------------------------------------------
    def export(self, project_id, export_type='JSON', download_all_tasks=False):
        """The project's export, as the UI's Export button downloads it.

        ``GET /api/projects/<id>/export?exportType=<type>`` (what 1.23.2's
        Export dialog calls).  By default, like the UI, only tasks with at
        least one annotation (skipped ones included) are exported;
        ``download_all_tasks=True`` exports every task.

        Args:
            project_id (int): the project.
            export_type (str): Label Studio's ``exportType`` (``JSON``,
                ``JSON_MIN``, ...).
            download_all_tasks (bool): export tasks without annotations
                too.

        Returns:
            list: for ``JSON`` and ``JSON_MIN`` the parsed tasks (each
            ``{'id', 'data', 'annotations': [{'result', 'was_cancelled',
            'lead_time', 'prediction', 'parent_prediction', ...}],
            'predictions': [<prediction ids>], 'drafts', ...}``, brush
            results with ``value.rle``); the raw bytes for other types.
        """
        params = {'exportType': export_type}
        if download_all_tasks:
            params['download_all_tasks'] = 'true'
        content = self.request(
            'GET',
            f'/api/projects/{int(project_id)}/export',
            params=params,
            raw=True)
        if export_type.upper() in ('JSON', 'JSON_MIN'):
            return json.loads(content)
        return content

    def export_snapshot(self,
                        project_id,
                        export_type='JSON',
                        title='mmseg-ada',
                        timeout=300):
        """An export through the snapshot API (every task by default).

        ``POST /api/projects/<id>/exports/`` (synchronous in the open-source
        server), poll until ``completed``, then ``GET
        .../exports/<export id>/download?exportType=<type>``.  Same task
        format as :meth:`export`.

        Args:
            project_id (int): the project.
            export_type (str): Label Studio's ``exportType``.
            title (str): the snapshot's title.
            timeout (float): seconds to wait for the snapshot.

        Returns:
            list | bytes: the parsed tasks (``JSON``, ``JSON_MIN``), else
            the raw bytes.

        Raises:
            TimeoutError: If the snapshot is not done within ``timeout``.
            LabelStudioError: If the snapshot failed.
        """
        pid = int(project_id)
        snap = self.request('POST', f'/api/projects/{pid}/exports/',
                            {'title': title})
        deadline = time.monotonic() + timeout
        while snap.get('status') not in ('completed', 'failed'):
            if time.monotonic() > deadline:
                raise TimeoutError(f'export {snap["id"]} of project {pid} '
                                   f'still {snap.get("status")!r}')
            time.sleep(0.5)
            snap = self.request('GET',
                                f'/api/projects/{pid}/exports/{snap["id"]}')
        if snap['status'] == 'failed':
            raise LabelStudioError(f'export {snap["id"]} of project {pid} '
                                   f'failed: {snap}')
        content = self.request(
            'GET',
            f'/api/projects/{pid}/exports/{snap["id"]}/download',
            params={'exportType': export_type},
            raw=True)
        if export_type.upper() in ('JSON', 'JSON_MIN'):
            return json.loads(content)
        return content


def leftover_processes(server: LabelStudioServer) -> list:
    """``ps`` lines of processes still in the server's process group or
    naming its data dir (empty once it is stopped).

    Args:
        server (LabelStudioServer): the server.

    Returns:
        list[str]: the ``pid pgid args`` lines.
    """
    ps = subprocess.run(['ps', '-eo', 'pid=,pgid=,args='],
                        capture_output=True,
                        text=True,
                        check=True).stdout
    left = []
    for line in ps.splitlines():
        pid, pgid, *args = line.split(None, 2)
        args = args[0] if args else ''
        if int(pgid) == server.pgid or (server.data_dir in args
                                        and 'label-studio' in args):
            left.append(line)
    return left


def label_round(server: LabelStudioServer,
                work_dir: str,
                k: int,
                annotator,
                out_path: str,
                title: str = None) -> dict:
    """Label round ``k`` of a run in Label Studio, as a person would.

    Creates a project from the round's exported
    ``labelstudio/labeling_config.xml``, connects the images' folder as
    local-files storage, imports ``tasks.json``, submits one annotation per
    task (``annotator.labelstudio_result``, started from the task's
    prediction like the web UI's Submit) and saves the project's JSON
    export, as its Export button downloads it, to ``out_path``.

    Args:
        server: a running server whose document root holds the images and
            which the tasks' image URLs are relative to.
        work_dir: the run directory.
        k: the round.
        annotator: a :class:`~mmseg_ada.testing.annotator.ScriptedAnnotator`.
        out_path: where the export goes.
        title: the project's title.

    Returns:
        dict: ``project`` (id), ``url`` (the project's page), ``tasks``.
    """
    from mmseg_ada.active.oracles.layout import round_dir
    from mmseg_ada.annotation.request import AnnotationRequest
    request = AnnotationRequest.of_round(work_dir, k)
    exp = osp.join(round_dir(work_dir, k), 'labelstudio')
    with open(osp.join(exp, 'labeling_config.xml'), encoding='utf-8') as f:
        config = f.read()
    client = server.client()
    project = client.create_project(title or f'mmseg-ada round {k}', config)
    pid = project['id']
    client.add_local_storage(pid, request.image_root, title=f'round {k}')
    names = sorted(
        n for n in os.listdir(exp)
        if n.startswith('tasks') and n.endswith('.json'))
    for name in names:
        with open(osp.join(exp, name), encoding='utf-8') as f:
            client.import_tasks(pid, json.load(f))
    tasks = client.tasks(pid)
    # the images are served (the tasks' URLs fit the server's document
    # root and the storage)
    first = request.by_index(tasks[0]['data']['ada_index'])
    with open(first.img_path, 'rb') as f:
        if client.get_bytes(tasks[0]['data']['image']) != f.read():
            raise LabelStudioError(
                f'{server.url} does not serve {first.img_path} at '
                f'{tasks[0]["data"]["image"]}')
    for t in tasks:
        im = request.by_index(t['data']['ada_index'])
        preds = t.get('predictions') or []
        client.create_annotation(
            t['id'],
            annotator.labelstudio_result(request, im),
            lead_time=5.0,
            parent_prediction=preds[0]['id'] if preds else None,
            project_id=pid)
    exported = client.export(pid)
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    with open(out_path, 'w', encoding='utf-8') as f:
        json.dump(exported, f)
    return dict(
        project=pid, url=f'{server.url}/projects/{pid}/data', tasks=len(tasks))
