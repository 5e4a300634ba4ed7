"""A real Label Studio round trip: tasks with predictions in, brush
annotations submitted as the web UI does, the JSON export back.

Needs the Label Studio venv (``make labelstudio``, or ``$MMSEG_ADA_LS_VENV``);
skipped without it unless ``$MMSEG_ADA_REQUIRE_LABEL_STUDIO`` is set, then
its absence fails.  The brush RLEs are made and read with Label Studio's own
codec (``label_studio_sdk.converter.brush``), run by the Label Studio venv's
Python in a subprocess.
"""
import json
import subprocess

import numpy as np
import pytest
from PIL import Image

from mmseg_ada.testing import label_studio as ls
from mmseg_ada.testing.label_studio import LabelStudioServer

BRUSH_CONFIG = (
    '<View><Image name="image" value="$image"/>'
    '<BrushLabels name="label" toName="image">'
    '<Label value="road"/><Label value="car"/></BrushLabels></View>')
H, W = 12, 20

# run by the Label Studio venv's python: masks in, RLEs out, and back
_CODEC = r'''
import json, sys
import numpy as np
from label_studio_sdk.converter.brush import decode_rle, mask2rle
job = json.load(sys.stdin)
out = {'rle': [mask2rle(np.array(m, dtype=np.uint8)) for m in job['encode']],
       'masks': []}
for item in job['decode']:
    flat = decode_rle(item['rle'])
    img = flat.reshape(item['height'], item['width'], 4)[:, :, 3]
    out['masks'].append(img.tolist())
json.dump(out, sys.stdout)
'''


def _ls_codec(encode=(), decode=()):
    """Label Studio's own brush RLE encoder/decoder, in its venv."""
    job = {'encode': [np.asarray(m).tolist() for m in encode], 'decode': []}
    for rle, height, width in decode:
        job['decode'].append(dict(rle=rle, height=height, width=width))
    proc = subprocess.run([ls.find_label_studio_python(), '-c', _CODEC],
                          input=json.dumps(job),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    return out['rle'], [np.array(m, dtype=np.uint8) for m in out['masks']]


def _brush(rle, label, region_id, origin=None):
    result = {
        'id': region_id,
        'type': 'brushlabels',
        'from_name': 'label',
        'to_name': 'image',
        'original_width': W,
        'original_height': H,
        'image_rotation': 0,
        'value': {
            'format': 'rle',
            'rle': rle,
            'brushlabels': [label]
        },
    }
    if origin:
        result['origin'] = origin
    return result


def test_find_label_studio_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv(ls.VENV_ENV_VAR, str(tmp_path / 'no-such-venv'))
    with pytest.raises(FileNotFoundError, match='make labelstudio'):
        ls.find_label_studio()
    with pytest.raises(FileNotFoundError, match='no-such-venv'):
        ls.find_label_studio_python()


def test_local_files_url_is_relative_to_the_document_root(tmp_path):
    server = LabelStudioServer(tmp_path / 'data', tmp_path / 'root')
    url = server.local_files_url(tmp_path / 'root' / 'round 0' / 'a.png')
    assert url == '/data/local-files/?d=round%200/a.png'
    with pytest.raises(ValueError):
        server.local_files_url(tmp_path / 'elsewhere.png')


def _fake_exe(tmp_path, body):
    exe = tmp_path / 'fake-label-studio'
    exe.write_text('#!/bin/sh\n' + body)
    exe.chmod(0o755)
    return str(exe)


def test_start_failure_shows_the_log(tmp_path):
    exe = _fake_exe(tmp_path, 'echo "boom: $*"\nexit 3\n')
    server = LabelStudioServer(tmp_path / 'data', tmp_path / 'root', exe=exe)
    with pytest.raises(ls.LabelStudioError, match='exited with code 3') as err:
        server.start()
    assert 'boom: start --no-browser --internal-host 127.0.0.1' in str(
        err.value)
    assert not server.running


@pytest.mark.timeout(60)
def test_start_timeout_kills_the_process_group(tmp_path):
    # a "server" that never answers, with a child in its process group
    exe = _fake_exe(tmp_path, 'sleep 300 &\necho waiting\nsleep 300\n')
    server = LabelStudioServer(
        tmp_path / 'data', tmp_path / 'root', exe=exe, start_timeout=2)
    with pytest.raises(ls.LabelStudioError, match='did not answer') as err:
        server.start()
    assert 'waiting' in str(err.value)
    assert server.pgid is not None and not server.running
    assert ls.leftover_processes(server) == []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_label_studio_round_trip(tmp_path, label_studio):
    server = label_studio
    rng = np.random.default_rng(0)
    doc_root = tmp_path / 'document_root'
    round_dir = doc_root / 'round_0'
    round_dir.mkdir(parents=True)
    images = []
    for i in range(2):
        path = round_dir / f'img_{i}.png'
        Image.fromarray(rng.integers(0, 256, (H, W, 3),
                                     dtype=np.uint8)).save(path)
        images.append(str(path))
    # what the "model" predicts (road) and what the "person" paints (car)
    predicted, painted = [], []
    for i in range(2):
        pred = np.zeros((H, W), np.uint8)
        pred[H // 2:, :] = 255
        paint = np.zeros((H, W), np.uint8)
        paint[2 + i:7 + i, 3 + 2 * i:11 + 3 * i] = 255
        predicted.append(pred)
        painted.append(paint)
    rles, _ = _ls_codec(encode=predicted + painted)
    pred_rles, paint_rles = rles[:2], rles[2:]

    print(f'\nLabel Studio up at {server.url} after '
          f'{server.startup_seconds:.1f} s (pgid {server.pgid})')
    client = server.client()
    assert client.health() == {'status': 'UP'}

    # errors carry status, method, URL and body
    with pytest.raises(ls.LabelStudioHTTPError) as err:
        client.create_project('x', BRUSH_CONFIG)  # title too short
    assert err.value.status == 400 and err.value.method == 'POST'
    assert err.value.url.endswith('/api/projects')
    assert 'title' in err.value.body

    project = client.create_project('mmseg-ada round 0', BRUSH_CONFIG)
    pid = project['id']
    # the document root itself is refused, a subfolder is fine
    with pytest.raises(ls.LabelStudioHTTPError) as err:
        client.add_local_storage(pid, server.document_root)
    assert err.value.status == 400
    storage = client.add_local_storage(pid, round_dir)
    assert storage['path'] == str(round_dir)
    assert storage['project'] == pid

    tasks = []
    for i, path in enumerate(images):
        tasks.append({
            'data': {
                'image': server.local_files_url(path),
                'ada_round': 0,
                'ada_index': i,
            },
            'predictions': [{
                'model_version':
                'ada-round-0',
                'score':
                0.5,
                'result': [_brush(pred_rles[i], 'road', f'pred{i}')],
            }],
        })
    report = client.import_tasks(pid, tasks)
    assert report['task_count'] == 2
    assert report['prediction_count'] == 2
    assert len(report['task_ids']) == 2

    got = client.tasks(pid, page_size=1)  # two pages
    assert [t['id'] for t in got] == sorted(report['task_ids'])
    for i, task in enumerate(got):
        assert task['data']['ada_index'] == i
        (pred, ) = task['predictions']
        assert pred['result'][0]['value']['rle'] == pred_rles[i]
        assert pred['model_version'] == 'ada-round-0'
        # the image is served, byte for byte
        with open(images[i], 'rb') as f:
            assert client.get_bytes(task['data']['image']) == f.read()

    # a person paints "car" and clicks Submit, starting from the
    # prediction (the UI then sends its id as parent_prediction)
    for i, task in enumerate(got):
        ann = client.create_annotation(
            task['id'], [_brush(paint_rles[i], 'car', f'paint{i}', 'manual')],
            lead_time=12.5 + i,
            parent_prediction=task['predictions'][0]['id'],
            project_id=pid)
        assert ann['task'] == task['id']
        assert ann['was_cancelled'] is False
        assert ann['parent_prediction'] == task['predictions'][0]['id']

    exported = client.export(pid)
    snapshot = client.export_snapshot(pid)
    print('one exported task, trimmed:')
    print(json.dumps(exported[0])[:4000])

    assert sorted(t['id'] for t in snapshot) == [t['id'] for t in got]
    assert sorted(t['id'] for t in exported) == [t['id'] for t in got]
    exported = sorted(exported, key=lambda t: t['data']['ada_index'])
    decode = []
    for i, task in enumerate(exported):
        assert task['data']['ada_round'] == 0
        assert task['data']['ada_index'] == i
        assert task['data']['image'] == server.local_files_url(images[i])
        anns = [a for a in task['annotations'] if not a['was_cancelled']]
        assert len(anns) == len(task['annotations']) == 1
        (region, ) = anns[0]['result']
        assert region['type'] == 'brushlabels'
        assert region['value']['format'] == 'rle'
        assert region['value']['brushlabels'] == ['car']
        assert (region['original_height'], region['original_width']) == (H, W)
        decode.append((region['value']['rle'], H, W))
    _, masks = _ls_codec(decode=decode)
    for i, mask in enumerate(masks):
        np.testing.assert_array_equal(mask, painted[i])
