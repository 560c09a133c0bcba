"""minitorch.utils.tensorboard.SummaryWriter: the event files read back by a reader written here
(tests/_tb_reader.py: TFRecord + CRC-32C check, protobuf wire decoder, PNG decoder), and, where
the tensorboard package is importable, by tensorboard's own reader and against what
torch.utils.tensorboard writes for the same calls."""
import gc
import importlib.util
import os
import re
import socket
import struct
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.utils.tensorboard import SummaryWriter
from minitorch.utils.tensorboard._png import encode_png
from minitorch.utils.tensorboard._records import crc32c, frame_record, masked_crc32c
from tests import _tb_reader as tb
from tests._compat import torch
from tests.strategies import hsettings

HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None
requires_tensorboard = pytest.mark.skipif(not HAS_TENSORBOARD, reason="the tensorboard package is not installed")
requires_torch_tensorboard = pytest.mark.skipif(
    torch is None or not HAS_TENSORBOARD or importlib.util.find_spec("PIL") is None,
    reason="needs torch, tensorboard and Pillow (torch's image summaries use it)")

# Published CRC-32C check values: the CRC catalogue's "123456789", and RFC 3720 (iSCSI) B.4.
CRC32C_VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
]


@pytest.mark.parametrize("data, expected", CRC32C_VECTORS)
def test_crc32c_matches_published_check_values(data, expected):
    assert crc32c(data) == expected
    assert tb.crc32c_bitwise(data) == expected


@hsettings(max_examples=30)
@given(st.binary(max_size=300))
def test_crc32c_table_agrees_with_the_bitwise_definition(data):
    assert crc32c(data) == tb.crc32c_bitwise(data)
    assert masked_crc32c(data) == tb.masked(tb.crc32c_bitwise(data))


@requires_tensorboard
@hsettings(max_examples=30)
@given(st.binary(max_size=300))
def test_framing_matches_tensorboards_record_writer(data):
    import io

    from tensorboard.summary.writer.record_writer import RecordWriter
    sink = io.BytesIO()
    RecordWriter(sink).write(data)
    assert frame_record(data) == sink.getvalue()


def _only_file(log_dir):
    files = tb.event_files(str(log_dir))
    assert len(files) == 1, files
    return files[0]


def test_event_file_name_and_first_event(tmp_path):
    before = int(time.time())
    with SummaryWriter(tmp_path / "a" / "b", filename_suffix=".v1") as writer:
        assert writer.get_logdir() == tmp_path / "a" / "b"
    name = os.path.basename(_only_file(tmp_path / "a" / "b"))
    match = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.v1", name)
    assert match, name
    assert before <= int(match.group(1)) <= time.time()
    assert match.group(2) == socket.gethostname() and int(match.group(3)) == os.getpid()
    (first,) = tb.read_events(str(tmp_path / "a" / "b"))
    assert first.file_version == "brain.Event:2" and first.step == 0 and not first.values
    assert before <= first.wall_time <= time.time()


def test_default_log_dir_is_runs_time_hostname_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as writer:
        log_dir = writer.get_logdir()
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_" + re.escape(socket.gethostname()) + "_lr0.1",
                        log_dir), log_dir
    assert len(tb.event_files(str(tmp_path / log_dir))) == 1


def test_add_scalar_values_steps_and_walltime_read_back(tmp_path):
    values = [minitorch.tensor(1.5), 0.1, np.float64(-2.75), minitorch.tensor([[3]]), 7, True, 1e300]
    steps = [0, 1, None, -5, 2**40, 3, 4]
    with SummaryWriter(tmp_path) as writer:
        for value, step in zip(values, steps):
            writer.add_scalar("loss/train", value, step, walltime=1234.5)
    events = tb.read_events(str(tmp_path))[1:]
    assert [e.step for e in events] == [0, 1, 0, -5, 2**40, 3, 4]
    assert all(e.wall_time == 1234.5 for e in events)
    expected = [np.float32(1.5), np.float32(0.1), np.float32(-2.75), np.float32(3), np.float32(7),
                np.float32(1), np.float32(np.inf)]
    assert [e.values[0].simple_value for e in events] == expected
    assert {e.values[0].tag for e in events} == {"loss/train"}


def test_add_scalar_new_style_writes_a_scalar_tensor(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("f", 1 / 3, 1, new_style=True)
        writer.add_scalar("d", 1 / 3, 2, new_style=True, double_precision=True)
    (_, f), (_, d) = tb.summary_values(str(tmp_path))
    assert f.plugin_name == d.plugin_name == "scalars" and f.simple_value is None
    assert tb.field(f.tensor, 1) == 1 and struct.unpack("<f", tb.field(f.tensor, 5)) == (np.float32(1 / 3),)
    assert tb.field(d.tensor, 1) == 2 and struct.unpack("<d", tb.field(d.tensor, 6)) == (1 / 3,)


def test_add_scalar_rejects_more_than_one_element(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(AssertionError, match=r"one element .*size: 3 and 1 dimensions"):
            writer.add_scalar("x", minitorch.tensor([1.0, 2.0, 3.0]))
        with pytest.raises(NotImplementedError, match="numpy array or torch tensor"):
            writer.add_scalar("x", [1.0])


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalars("loss/all", {"train": 1.0, "val": minitorch.tensor(2.0)}, 3)
        writer.add_scalars("loss/all", {"train": 0.5, "val": 1.5}, 4)
    for key, expected in (("train", [1.0, 0.5]), ("val", [2.0, 1.5])):
        run = tmp_path / f"loss_all_{key}"
        _only_file(run)
        values = tb.summary_values(str(run))
        assert [(step, v.tag, v.simple_value) for step, v in values] == \
            [(3, "loss/all", expected[0]), (4, "loss/all", expected[1])]
    assert len(tb.read_events(str(tmp_path))) == 1  # the main run holds its file_version only
    walltimes = {tb.read_events(str(tmp_path / f"loss_all_{k}"))[1].wall_time for k in ("train", "val")}
    assert len(walltimes) == 1  # one time for the whole call


def _check_histogram(histo, values, edges):
    """The written histogram against the values: statistics in float64, the first bucket the
    empty one carrying the left edge, each later bucket the count in [previous limit, limit)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    assert histo["min"] == values.min() and histo["max"] == values.max() and histo["num"] == values.size
    assert histo["sum"] == pytest.approx(values.sum(), rel=1e-12, abs=1e-300)
    assert histo["sum_squares"] == pytest.approx(values.dot(values), rel=1e-12)
    limits, counts = histo["bucket_limit"], histo["bucket"]
    assert len(limits) == len(counts) and counts[0] == 0 and sum(counts) == values.size
    assert set(limits) <= set(np.asarray(edges, dtype=np.float64).tolist())
    for left, right, count in zip(limits, limits[1:], counts[1:]):
        inside = (values >= left) & ((values < right) | ((values == right) & (right == edges[-1])))
        assert count == inside.sum()


def _tensorflow_edges():
    positive = [1e-12]
    while positive[-1] * 1.1 < 1e20:
        positive.append(positive[-1] * 1.1)
    return [-e for e in reversed(positive)] + [0.0] + positive


@hsettings(max_examples=20)
@given(st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=1, max_size=40), st.booleans())
def test_add_histogram_default_bins(tmp_path_factory, values, as_tensor):
    log_dir = tmp_path_factory.mktemp("h")
    data = minitorch.tensor(values, dtype=minitorch.float64) if as_tensor else np.array(values)
    with SummaryWriter(log_dir) as writer:
        writer.add_histogram("w", data, 7)
    ((step, value),) = tb.summary_values(str(log_dir))
    assert step == 7 and value.tag == "w"
    _check_histogram(tb.histogram(value.histo), values, _tensorflow_edges())


@pytest.mark.parametrize("bins, max_bins", [("auto", None), ("fd", None), ("sturges", None), (10, None),
                                            (30, 4), ([-3.0, -1.0, 0.0, 0.5, 4.0], None)])
def test_add_histogram_numpy_bins(tmp_path, bins, max_bins):
    values = np.random.default_rng(0).standard_normal((20, 5))
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("w", minitorch.tensor(values).t(), bins=bins, max_bins=max_bins)
    ((_, value),) = tb.summary_values(str(tmp_path))
    edges = np.histogram_bin_edges(values, bins=bins)
    if max_bins is not None:  # every group of len // max_bins bins merged: their edges kept
        edges = np.concatenate([edges[:-1:len(edges[:-1]) // max_bins], edges[-1:]])
    _check_histogram(tb.histogram(value.histo), values, edges)


def test_add_histogram_raw_and_its_errors(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram_raw("r", -1.0, 2.0, 3, 1.5, 5.25, [0.0, 1.0, 2.0], [0, 2, 1], global_step=2)
        with pytest.raises(ValueError, match=r"len\(bucket_limits\) != len\(bucket_counts\)"):
            writer.add_histogram_raw("r", 0, 1, 1, 1, 1, [1.0], [1, 2])
        with pytest.raises(ValueError, match="The input has no element."):
            writer.add_histogram("e", np.zeros(0))
    ((step, value),) = tb.summary_values(str(tmp_path))
    assert step == 2 and tb.histogram(value.histo) == {
        "min": -1.0, "max": 2.0, "num": 3.0, "sum": 1.5, "sum_squares": 5.25,
        "bucket_limit": [0.0, 1.0, 2.0], "bucket": [0.0, 2.0, 1.0]}


def _written_image(log_dir):
    ((_, value),) = tb.summary_values(str(log_dir))
    height, width, colorspace = (tb.field(value.image, k) for k in (1, 2, 3))
    pixels = tb.decode_png(tb.field(value.image, 4))
    assert pixels.shape == (height, width, colorspace)
    return pixels


def _to_uint8(array):
    return np.floor(np.clip(np.asarray(array, np.float32) * np.float32(255), 0, 255)).astype(np.uint8)


def test_add_image_float_chw_is_scaled_to_uint8(tmp_path):
    image = np.random.default_rng(1).uniform(-0.2, 1.2, (3, 5, 7)).astype(np.float32)
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("img", minitorch.tensor(image))
    np.testing.assert_array_equal(_written_image(tmp_path), _to_uint8(image).transpose(1, 2, 0))


@pytest.mark.parametrize("dataformats, shape, to_hwc", [
    ("HWC", (4, 6, 3), lambda a: a),
    ("HWC", (4, 6, 4), lambda a: a),                        # RGBA
    ("HW", (4, 6), lambda a: np.stack([a] * 3, 2)),          # grey as RGB
    ("CHW", (1, 4, 6), lambda a: np.concatenate([a.transpose(1, 2, 0)] * 3, 2)),
    ("WHC", (6, 4, 3), lambda a: a.transpose(1, 0, 2)),
])
def test_add_image_uint8_layouts(tmp_path, dataformats, shape, to_hwc):
    image = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("img", image, dataformats=dataformats)
    np.testing.assert_array_equal(_written_image(tmp_path), to_hwc(image))


def test_add_images_lays_the_batch_on_a_grid_eight_wide(tmp_path):
    batch = np.random.default_rng(3).random((10, 1, 2, 3))
    with SummaryWriter(tmp_path) as writer:
        writer.add_images("batch", minitorch.tensor(batch).permute(0, 2, 3, 1), dataformats="NHWC")
    pixels = _written_image(tmp_path)
    assert pixels.shape == (4, 24, 3)
    for i in range(16):
        row, col = divmod(i, 8)
        tile = pixels[row * 2:(row + 1) * 2, col * 3:(col + 1) * 3]
        expected = _to_uint8(batch[i, 0]) if i < 10 else np.zeros((2, 3), np.uint8)
        for channel in range(3):
            np.testing.assert_array_equal(tile[:, :, channel], expected)


def test_add_image_bad_layouts(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(AssertionError, match="same dimension shorthand twice"):
            writer.add_image("x", np.zeros((3, 2, 2)), dataformats="CHH")
        with pytest.raises(AssertionError, match="size of input tensor and input format are different"):
            writer.add_image("x", np.zeros((2, 2)))
        with pytest.raises(AssertionError, match="4D numpy array with 3 channels"):
            writer.add_images("x", np.zeros((2, 2, 2, 2)))
        with pytest.raises(TypeError, match="2, 3 or 4 channels"):
            writer.add_image("x", np.zeros((5, 2, 2)))
        with pytest.raises(ValueError, match="cannot write empty image"):
            writer.add_image("x", np.zeros((3, 0, 4)))
    assert len(tb.read_events(str(tmp_path))) == 1


@hsettings(max_examples=20)
@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from([2, 3, 4]), st.integers(0, 2**32 - 1))
def test_png_encoder_round_trips_through_zlib(height, width, channels, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)
    np.testing.assert_array_equal(tb.decode_png(encode_png(pixels)), pixels)


def test_add_text(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("notes", "lr **0.1**, résumé", 5)
    ((step, value),) = tb.summary_values(str(tmp_path))
    assert step == 5 and value.tag == "notes/text_summary" and value.plugin_name == "text"
    assert tb.field(value.tensor, 1) == 7  # DT_STRING
    assert tb.field(value.tensor, 2) == b"\x12\x02\x08\x01"  # shape [1]
    assert tb.fields(value.tensor, 8) == ["lr **0.1**, résumé".encode()]


def _unpack_varints(packed):
    """The values of a packed repeated varint field."""
    values, pos = [], 0
    while pos < len(packed):
        value, shift = 0, 0
        while True:
            byte = packed[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        values.append(tb.int64(value))
    return values


@pytest.mark.parametrize("dtype, enum, number, read", [
    (minitorch.float32, 1, 5, lambda b: np.frombuffer(b, "<f4").tolist()),
    (minitorch.float64, 2, 6, lambda b: np.frombuffer(b, "<f8").tolist()),
    (minitorch.int64, 9, 10, _unpack_varints),
    (minitorch.int32, 3, 7, _unpack_varints),
    (minitorch.int8, 6, 7, _unpack_varints),
    (minitorch.uint8, 4, 16, _unpack_varints),
    (minitorch.bool, 10, 11, _unpack_varints),
    # torch stores each float16 value's float32 bits, read as an int32
    (minitorch.float16, 19, 13,
     lambda b: np.array(_unpack_varints(b), dtype=np.int64).astype(np.int32).view(np.float32).tolist()),
])
def test_add_tensor_keeps_dtype_shape_and_values(tmp_path, dtype, enum, number, read):
    values = minitorch.tensor([[-2.5, 0.0, 3.0], [1.0, 7.25, -1.0]]).to(dtype).t()
    with SummaryWriter(tmp_path) as writer:
        writer.add_tensor("t", values, 4)
    ((step, value),) = tb.summary_values(str(tmp_path))
    assert step == 4 and value.plugin_name == "tensor"
    assert tb.field(value.tensor, 1) == enum
    assert [tb.field(d, 1, 0) for d in tb.fields(tb.field(value.tensor, 2), 2)] == [3, 2]
    expected = values.numpy().reshape(-1)
    np.testing.assert_array_equal(np.array(read(tb.field(value.tensor, number)), dtype=expected.dtype), expected)


def test_add_tensor_takes_tensors_only(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(AttributeError, match="numel"):
            writer.add_tensor("t", np.zeros(3))


def _pr_table(value):
    shape = [tb.field(d, 1, 0) for d in tb.fields(tb.field(value.tensor, 2), 2)]
    return np.frombuffer(tb.field(value.tensor, 5), "<f4").reshape(shape)


def test_add_pr_curve_counts_at_each_threshold(tmp_path):
    rng = np.random.default_rng(4)
    labels, predictions, weights = rng.integers(0, 2, 50), rng.random(50), rng.random(50)
    with SummaryWriter(tmp_path) as writer:
        writer.add_pr_curve("pr", minitorch.tensor(labels), minitorch.tensor(predictions), 3, num_thresholds=11)
        writer.add_pr_curve("prw", labels, predictions, 3, num_thresholds=500, weights=weights)
    (_, plain), (_, weighted) = tb.summary_values(str(tmp_path))
    for value, n, w in ((plain, 11, np.ones(50)), (weighted, 127, weights)):
        assert value.plugin_name == "pr_curves" and value.plugin_content == bytes([0x10, n])
        bucket = np.floor(predictions * (n - 1))
        tp = np.array([(w * labels)[bucket >= i].sum() for i in range(n)])
        fp = np.array([(w * (1 - labels))[bucket >= i].sum() for i in range(n)])
        expected = np.stack([tp, fp, fp[0] - fp, tp[0] - tp, tp / np.maximum(1e-7, tp + fp),
                             tp / np.maximum(1e-7, tp[0])])
        np.testing.assert_allclose(_pr_table(value), expected.astype(np.float32), rtol=1e-6, atol=1e-6)


def test_add_pr_curve_raw(tmp_path):
    columns = [[5, 3], [4, 1], [0, 3], [0, 2], [5 / 9, 0.75], [1.0, 0.6]]
    with SummaryWriter(tmp_path) as writer:
        writer.add_pr_curve_raw("raw", *columns, global_step=1, num_thresholds=2)
    ((_, value),) = tb.summary_values(str(tmp_path))
    np.testing.assert_array_equal(_pr_table(value), np.array(columns, dtype=np.float32))


@pytest.mark.parametrize("name", ["add_video", "add_mesh", "add_image_with_boxes", "add_onnx_graph"])
def test_missing_methods_say_what_to_do(tmp_path, name):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(NotImplementedError, match=f"SummaryWriter.{name} is not supported by minitorch"):
            getattr(writer, name)
        assert not hasattr(writer, name)
        with pytest.raises(AttributeError, match="has no attribute 'add_nothing'"):
            writer.add_nothing


def test_add_embedding_writes_the_projector_files(tmp_path, capsys):
    rng = np.random.default_rng(6)
    mat = rng.standard_normal((5, 3)).astype(np.float32)
    images = minitorch.tensor(rng.random((5, 1, 2, 2)))
    with SummaryWriter(tmp_path) as writer:
        writer.add_embedding(minitorch.tensor(mat), metadata=["a", "b", 3, "d", "e"], label_img=images)
        writer.add_embedding(mat[:2], metadata=[["x", 1], ["y", 2]], metadata_header=["name", "n"],
                             global_step=12, tag="feat/é 50%")
        writer.add_embedding(mat, global_step=12, tag="feat/é 50%")
        with pytest.raises(AssertionError, match="mat should be 2D"):
            writer.add_embedding(mat[0])
        with pytest.raises(AssertionError, match="#labels should equal with #data points"):
            writer.add_embedding(mat, metadata=["a"], global_step=3)
        with pytest.raises(ValueError, match="taller than wide: use square label images"):
            writer.add_embedding(mat, label_img=minitorch.zeros(5, 3, 4, 2), global_step=4)
    assert "Embedding dir exists" in capsys.readouterr().out
    first, second = tmp_path / "00000" / "default", tmp_path / "00012" / "feat%2fé 50%25"
    rows = [line.split("\t") for line in (first / "tensors.tsv").read_text().splitlines()]
    np.testing.assert_array_equal(np.array(rows, dtype=np.float64), mat.astype(np.float64))
    assert (first / "metadata.tsv").read_text() == "a\nb\n3\nd\ne\n"
    assert (second / "metadata.tsv").read_text() == "name\tn\nx\t1\ny\t2\n"
    sprite = tb.decode_png((first / "sprite.png").read_bytes())
    assert sprite.shape == (6, 6, 3)  # 5 images on a 3-wide grid, padded to a square
    expected = np.zeros((6, 6))
    for i in range(5):
        row, col = divmod(i, 3)
        expected[row * 2:row * 2 + 2, col * 2:col * 2 + 2] = images.numpy()[i, 0]
    np.testing.assert_array_equal(sprite[:, :, 1], np.uint8((expected * 255).clip(0, 255)))
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert config.count("embeddings {") == 3
    assert 'tensor_name: "feat/é 50%:00012"' in config
    assert 'image_path: "00000/default/sprite.png"\n    single_image_dim: 2\n    single_image_dim: 2' in config
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_add_audio_is_a_16_bit_wav(tmp_path, capsys):
    import io
    import wave
    sound = np.sin(np.linspace(0, 20, 300)) * 1.5
    with SummaryWriter(tmp_path) as writer:
        writer.add_audio("beep", minitorch.tensor(sound).reshape(1, 300), 2, sample_rate=8000)
        with pytest.raises(AssertionError, match="input tensor should be 1 dimensional."):
            writer.add_audio("x", np.zeros((2, 3)))
    assert "audio amplitude out of range, auto clipped." in capsys.readouterr().out
    ((step, value),) = tb.summary_values(str(tmp_path))
    raw = value.audio
    assert step == 2 and raw is not None
    assert struct.unpack("<f", tb.field(raw, 1)) == (8000.0,) and tb.field(raw, 2) == 1 and tb.field(raw, 3) == 300
    assert tb.field(raw, 5) == b"audio/wav"
    with wave.open(io.BytesIO(tb.field(raw, 4))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    np.testing.assert_array_equal(samples, (np.clip(sound, -1, 1) * 32767).astype(np.int16))


def test_add_custom_scalars_layout(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_custom_scalars({"Losses": {"all": ["Multiline", ["loss/train", "loss/val"]],
                                              "band": ["Margin", ["acc", "acc_low", "acc_high"]]}})
        writer.add_custom_scalars_multilinechart(["a", "b"])
        writer.add_custom_scalars_marginchart(["v", "lo", "hi"], category="c", title="t")
        with pytest.raises(AssertionError, match="Expected 3 tags, got 2."):
            writer.add_custom_scalars_marginchart(["v", "lo"])
    values = tb.summary_values(str(tmp_path))
    assert [(s, v.tag, v.plugin_name) for s, v in values] == [(0, "custom_scalars__config__", "custom_scalars")] * 3
    layouts = []
    for _, value in values:
        assert tb.field(value.tensor, 1) == 7 and tb.field(value.tensor, 2) == b""
        layout = tb.field(value.tensor, 8)
        categories = []
        for category in tb.fields(layout, 2):
            charts = []
            for chart in tb.fields(category, 2):
                multiline, margin = tb.field(chart, 2), tb.field(chart, 3)
                content = (["Multiline", [t.decode() for t in tb.fields(multiline, 1)]] if multiline is not None
                           else ["Margin", [tb.field(tb.field(margin, 1), k).decode() for k in (1, 2, 3)]])
                charts.append((tb.field(chart, 1).decode(), content))
            categories.append((tb.field(category, 1).decode(), charts))
        layouts.append(categories)
    assert layouts == [[("Losses", [("all", ["Multiline", ["loss/train", "loss/val"]]),
                                    ("band", ["Margin", ["acc", "acc_low", "acc_high"]])])],
                       [("default", [("untitled", ["Multiline", ["a", "b"]])])],
                       [("c", [("t", ["Margin", ["v", "lo", "hi"]])])]]


def _hparams_content(value):
    """HParamsPluginData -> (which of experiment=2 / session_start=3 / session_end=4, message)."""
    ((number, _, message),) = tb.decode(value.plugin_content)
    return number, message


def _proto_value(raw):
    ((number, _, data),) = tb.decode(raw)
    return {2: lambda: ("number", tb.double(data)), 3: lambda: ("string", data.decode()),
            4: lambda: ("bool", bool(data))}[number]()


def test_add_hparams_writes_experiment_session_and_metrics(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"lr": 0.1, "bs": 16, "opt": "adam", "amsgrad": True, "skip": None,
                            "wd": minitorch.tensor([0.5])},
                           {"hp/acc": 0.75, "hp/loss": minitorch.tensor(0.25)},
                           hparam_domain_discrete={"opt": ["adam", "sgd"], "bs": [16, 32]},
                           run_name="run1", global_step=2)
    values = tb.summary_values(str(tmp_path / "run1"))
    assert [(s, v.tag) for s, v in values] == [(2, "_hparams_/experiment"), (2, "_hparams_/session_start_info"),
                                              (2, "_hparams_/session_end_info"), (2, "hp/acc"), (2, "hp/loss")]
    assert all(v.plugin_name == "hparams" for _, v in values[:3])
    assert [v.simple_value for _, v in values[3:]] == [0.75, 0.25]
    which, experiment = _hparams_content(values[0][1])
    assert which == 2
    infos = [(tb.field(i, 1).decode(), tb.field(i, 4),
              None if tb.field(i, 5) is None else [_proto_value(d) for d in tb.fields(tb.field(i, 5), 1)])
             for i in tb.fields(experiment, 4)]
    assert infos == [("lr", 3, None), ("bs", 3, [("number", 16.0), ("number", 32.0)]),
                     ("opt", 1, [("string", "adam"), ("string", "sgd")]), ("amsgrad", 3, None), ("wd", 3, None)]
    assert [tb.field(tb.field(m, 1), 2).decode() for m in tb.fields(experiment, 5)] == ["hp/acc", "hp/loss"]
    which, start = _hparams_content(values[1][1])
    assert which == 3
    entries = {tb.field(e, 1).decode(): _proto_value(tb.field(e, 2)) for e in tb.fields(start, 1)}
    assert entries == {"lr": ("number", 0.1), "bs": ("number", 16.0), "opt": ("string", "adam"),
                       "amsgrad": ("number", 1.0), "wd": ("number", 0.5)}
    assert _hparams_content(values[2][1]) == (4, b"\x08\x01")  # SessionEndInfo{status: SUCCESS}


def test_add_hparams_errors(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary."):
            writer.add_hparams([("lr", 0.1)], {})
        with pytest.raises(TypeError, match=r"hparam_domain_discrete\[lr\] should be a list of same type"):
            writer.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": ["a"]})
        with pytest.raises(ValueError, match="value should be one of int, float, str, bool, or torch.Tensor"):
            writer.add_hparams({"layers": [1, 2]}, {})


def test_purge_step_is_written_after_the_file_version(tmp_path):
    with SummaryWriter(tmp_path, purge_step=40) as writer:
        writer.add_scalar("x", 1.0, 40)
    events = tb.read_events(str(tmp_path))
    assert [(e.file_version, e.step, e.session_status) for e in events] == [
        ("brain.Event:2", 0, None), ("brain.Event:2", 40, None), (None, 40, 1), (None, 40, None)]


def test_events_wait_in_the_queue_until_max_queue_or_flush(tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=3, flush_secs=1000)
    path = _only_file(tmp_path)
    counts = []
    for step in range(4):
        writer.add_scalar("x", step, step)
        counts.append(len(tb.read_records(path)))
    assert counts == [1, 1, 4, 4]  # the third pending event writes all three
    writer.flush()
    assert len(tb.read_records(path)) == 5
    writer.add_scalar("x", 9.0, 9)
    writer.close()
    assert [e.step for e in tb.read_events(str(tmp_path))] == [0, 0, 1, 2, 3, 9]


def test_an_event_after_flush_secs_writes_the_queue(tmp_path, monkeypatch):
    import types

    import minitorch.utils.tensorboard.writer as writer_module
    now = [1000.0]  # the writer's monotonic clock, moved by hand
    monkeypatch.setattr(writer_module, "time", types.SimpleNamespace(time=time.time, monotonic=lambda: now[0]))
    with SummaryWriter(tmp_path, max_queue=100, flush_secs=30) as writer:
        path = _only_file(tmp_path)
        now[0] += 29.9
        writer.add_scalar("x", 1.0, 1)
        assert len(tb.read_records(path)) == 1
        now[0] += 0.1
        writer.add_scalar("x", 2.0, 2)  # 30 s after the last write: the queue goes out
        assert len(tb.read_records(path)) == 3
        now[0] += 29.9
        writer.add_scalar("x", 3.0, 3)
        assert len(tb.read_records(path)) == 3


def test_each_record_reaches_the_file_in_one_write_call(tmp_path, monkeypatch):
    writes = []
    real_write = os.write

    def spy(fd, data):
        writes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    with SummaryWriter(tmp_path, max_queue=4) as writer:
        for step in range(6):
            writer.add_scalar("x", float(step), step)
        writer.add_image("img", np.zeros((3, 8, 8)))
    monkeypatch.undo()
    assert len(writes) == 8
    for data in writes:
        assert frame_record(tb_payload(data)) == data


def tb_payload(record):
    """The payload of one framed record (its length and CRCs checked)."""
    (length,) = struct.unpack("<Q", record[:8])
    assert len(record) == length + 16
    assert struct.unpack("<I", record[-4:])[0] == tb.masked(tb.crc32c_bitwise(record[12:-4]))
    return record[12:-4]


def test_a_writer_never_closed_is_written_when_collected(tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=100)
    writer.add_scalar("x", 3.0, 1)
    del writer
    gc.collect()
    assert [(s, v.simple_value) for s, v in tb.summary_values(str(tmp_path))] == [(1, 3.0)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_write_the_parents_queue(tmp_path):
    writer = SummaryWriter(tmp_path, max_queue=100)
    writer.add_scalar("x", 3.0, 1)
    pid = os.fork()
    if pid == 0:  # the child (a DataLoader worker, say) flushes the queue it inherited
        try:
            writer.flush()
            writer.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    writer.close()
    assert [(s, v.simple_value) for s, v in tb.summary_values(str(tmp_path))] == [(1, 3.0)]


def test_close_then_add_opens_a_new_file(tmp_path):
    writer = SummaryWriter(tmp_path)
    writer.add_scalar("x", 1.0, 1)
    writer.close()
    writer.close()  # a second close does nothing
    writer.flush()
    writer.add_scalar("x", 2.0, 2)
    writer.close()
    files = tb.event_files(str(tmp_path))
    assert len(files) == 2
    assert [[e.step for e in map(tb.Event, tb.read_records(f))] for f in files] == [[0, 1], [0, 2]]


def test_add_graph_points_to_onnx_export(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(NotImplementedError, match=r"minitorch\.onnx\.export"):
            writer.add_graph(minitorch.nn.Linear(2, 2), minitorch.zeros(1, 2))


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is not None, reason="matplotlib is installed")
def test_add_figure_without_matplotlib_raises_as_torch(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(ModuleNotFoundError, match="matplotlib"):
            writer.add_figure("fig", object())


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")
def test_add_figure_draws_the_figure(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure = plt.figure(figsize=(2, 1), dpi=20)
    figure.patch.set_facecolor((1.0, 0.0, 0.0))
    with SummaryWriter(tmp_path) as writer:
        writer.add_figure("fig", figure)
    pixels = _written_image(tmp_path)
    assert pixels.shape == (20, 40, 3) and (pixels == [255, 0, 0]).all()


@requires_torch_tensorboard
@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")
def test_add_figure_same_pixels_as_torch(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

    def figures():
        made = []
        for k in range(3):
            figure = plt.figure(figsize=(2, 1.5), dpi=30)
            plt.plot([0, 1, 2], [k, 2 - k, 1])
            made.append(figure)
        return made

    for Writer, name in ((SummaryWriter, "mini"), (TorchSummaryWriter, "torch")):
        with Writer(str(tmp_path / name)) as writer:
            made = figures()
            writer.add_figure("one", made[0], 1)
            writer.add_figure("many", made[1:], 2, close=False)
        assert plt.fignum_exists(made[1].number) and not plt.fignum_exists(made[0].number)
        plt.close("all")
    ours, theirs = (tb.summary_values(str(tmp_path / name)) for name in ("mini", "torch"))
    assert [(s, v.tag) for s, v in ours] == [(s, v.tag) for s, v in theirs] == [(1, "one"), (2, "many")]
    for (_, mine), (_, reference) in zip(ours, theirs):
        np.testing.assert_array_equal(tb.decode_png(tb.field(mine.image, 4)),
                                      tb.decode_png(tb.field(reference.image, 4)))


def test_namespace_and_no_longer_unsupported():
    assert minitorch.utils.tensorboard.SummaryWriter is SummaryWriter


# ---- tensorboard's own reader, and torch's writer, where installed


def _log_everything(module, SummaryWriterClass, log_dir):
    rng = np.random.default_rng(5)
    weights = rng.standard_normal((30, 4))
    image = rng.random((3, 6, 5)).astype(np.float32)
    with SummaryWriterClass(log_dir, purge_step=2) as writer:
        writer.add_scalar("loss", module.tensor(0.5), 2)
        writer.add_scalar("acc", 0.25, 3, walltime=10.0)
        writer.add_scalar("lr", 1 / 3, 3, new_style=True)
        writer.add_scalar("lr64", 1 / 3, 3, new_style=True, double_precision=True)
        writer.add_scalar("neg", -1.0, -7)
        writer.add_scalars("run", {"a": 1.0, "b": module.tensor(2.5)}, 4)
        writer.add_histogram("w", module.tensor(weights), 5)
        writer.add_histogram("w_auto", weights, 5, bins="auto")
        writer.add_histogram("w_max", weights, 5, bins=40, max_bins=7)
        writer.add_histogram("w_pad", weights, 5, bins=30, max_bins=4)  # 30 bins in groups of 7, padded
        writer.add_histogram_raw("raw", -1.0, 2.0, 3, 1.5, 5.25, [0.0, 1.0, 2.0], [0, 2, 1], 6)
        writer.add_image("img", module.tensor(image), 6)
        writer.add_image("grey", (image[0] * 255).astype(np.uint8), 6, dataformats="HW")
        writer.add_images("batch", rng.random((10, 1, 3, 2)), 6)
        writer.add_text("note", "*hello* wörld", 7)
        writer.add_tensor("tensor", module.tensor([[1.5, -2.0]]), 7)
        writer.add_tensor("ints", module.tensor([-3, 0, 2**40]), 7)
        writer.add_tensor("bytes", module.tensor([0, 200], dtype=module.uint8), 7)
        writer.add_tensor("half", module.tensor([1.5, -2.0], dtype=module.float16), 7)
        writer.add_tensor("flags", module.tensor([True, False]), 7)
        writer.add_pr_curve("pr", module.tensor(rng.integers(0, 2, 40)), module.tensor(rng.random(40)), 8)
        writer.add_pr_curve("pr_w", rng.integers(0, 2, 40), rng.random(40), 8, num_thresholds=300,
                            weights=rng.random(40))
        writer.add_audio("sound", module.tensor(np.sin(np.arange(50) / 3.0) * 1.2), 9, sample_rate=16000)
        writer.add_custom_scalars({"c": {"m": ["Multiline", ["loss", "acc"]], "g": ["Margin", ["a", "b", "c"]]}})
        writer.add_custom_scalars_marginchart(["v", "lo", "hi"])
        writer.add_pr_curve_raw("pr_raw", [5, 3], [4, 1], [0, 3], [0, 2], [5 / 9, 0.75], [1.0, 0.6], 8,
                                num_thresholds=2)
        writer.add_hparams({"lr": 0.1, "bs": 16, "opt": "adam", "flag": False, "none": None},
                           {"hp/acc": 0.5}, {"opt": ["adam", "sgd"]}, run_name="hp", global_step=1)


def _raw_events(log_dir):
    """run (relative directory) -> the Events of its files, parsed by protobuf."""
    from tensorboard.compat.proto import event_pb2
    runs = {}
    for root, _, names in sorted(os.walk(log_dir)):
        for path in tb.event_files(root):
            runs.setdefault(os.path.relpath(root, log_dir), []).extend(
                event_pb2.Event.FromString(payload) for payload in tb.read_records(path))
    return runs


def _comparable(event):
    """The event without what differs by design: the time, the writer's name, the PNG
    compression (pixels are compared instead), the hparams map's entry order."""
    from tensorboard.plugins.hparams import plugin_data_pb2
    event.wall_time = 0
    event.ClearField("source_metadata")
    pixels, hparams = [], []
    for value in event.summary.value:
        if value.HasField("image"):
            pixels.append(tb.decode_png(value.image.encoded_image_string))
            value.image.encoded_image_string = b""
        if value.metadata.plugin_data.plugin_name == "hparams":
            hparams.append(plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content))
            value.metadata.plugin_data.content = b""
    return event, pixels, hparams


@requires_torch_tensorboard
def test_same_records_as_torch(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter
    _log_everything(minitorch, SummaryWriter, str(tmp_path / "mini"))
    _log_everything(torch, TorchSummaryWriter, str(tmp_path / "torch"))
    ours, theirs = _raw_events(str(tmp_path / "mini")), _raw_events(str(tmp_path / "torch"))
    assert sorted(ours) == sorted(theirs) == [".", "hp", "run_a", "run_b"]
    for run in theirs:
        assert len(ours[run]) == len(theirs[run]), run
        for mine, reference in zip(ours[run], theirs[run]):
            mine, my_pixels, my_hparams = _comparable(mine)
            reference, pixels, hparams = _comparable(reference)
            assert mine == reference, (run, mine, reference)
            assert my_hparams == hparams
            assert len(my_pixels) == len(pixels)
            for a, b in zip(my_pixels, pixels):
                np.testing.assert_array_equal(a, b)


@requires_torch_tensorboard
def test_same_embedding_files_as_torch(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter
    rng = np.random.default_rng(7)
    mat, images = rng.standard_normal((10, 4)).astype(np.float32), rng.random((10, 3, 3, 3)) * 1.2
    for module, Writer, name in ((minitorch, SummaryWriter, "mini"), (torch, TorchSummaryWriter, "torch")):
        with Writer(str(tmp_path / name)) as writer:
            writer.add_embedding(module.tensor(mat), metadata=list(range(10)), label_img=module.tensor(images))
            writer.add_embedding(mat[:2], metadata=[["x", 1], ["y", 2]], metadata_header=["name", "n"],
                                 global_step=4, tag="a/b\\c%'\"\tü\x01\x7f")
    ours = sorted(p.relative_to(tmp_path / "mini") for p in (tmp_path / "mini").rglob("*") if p.is_file()
                  and not p.name.startswith("events."))
    theirs = sorted(p.relative_to(tmp_path / "torch") for p in (tmp_path / "torch").rglob("*") if p.is_file()
                    and not p.name.startswith("events."))
    assert ours == theirs and len(ours) == 6
    for path in ours:
        mine, reference = (tmp_path / "mini" / path).read_bytes(), (tmp_path / "torch" / path).read_bytes()
        if path.suffix == ".png":
            np.testing.assert_array_equal(tb.decode_png(mine), tb.decode_png(reference))
        else:
            assert mine == reference, path


@requires_tensorboard
def test_tensorboards_reader_loads_the_files(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    _log_everything(minitorch, SummaryWriter, str(tmp_path))
    accumulator = EventAccumulator(str(tmp_path), size_guidance={"images": 0, "histograms": 0}).Reload()
    assert [(e.step, e.value) for e in accumulator.Scalars("loss")] == [(2, 0.5)]
    assert [(e.step, e.wall_time, e.value) for e in accumulator.Scalars("acc")] == [(3, 10.0, 0.25)]
    assert [e.step for e in accumulator.Scalars("neg")] == [-7]
    (histogram,) = accumulator.Histograms("w")
    assert histogram.step == 5 and histogram.histogram_value.num == 120
    (image,) = accumulator.Images("img")
    assert (image.height, image.width) == (6, 5)
    assert tb.decode_png(image.encoded_image_string).shape == (6, 5, 3)
    assert accumulator.Tensors("note/text_summary")[0].tensor_proto.string_val == ["*hello* wörld".encode()]
    assert [e.value for e in EventAccumulator(str(tmp_path / "run_b")).Reload().Scalars("run")] == [2.5]


@requires_torch_tensorboard
@pytest.mark.parametrize("call", [
    lambda w, m: w.add_scalar("x", m.tensor([1.0, 2.0])),
    lambda w, m: w.add_scalar("x", [1.0]),
    lambda w, m: w.add_histogram("x", np.zeros(0)),
    lambda w, m: w.add_histogram_raw("x", 0, 1, 1, 1, 1, [1.0], [1, 2]),
    lambda w, m: w.add_image("x", np.zeros((3, 2, 2)), dataformats="CHH"),
    lambda w, m: w.add_image("x", np.zeros((2, 2))),
    lambda w, m: w.add_images("x", np.zeros((2, 2, 2, 2))),
    lambda w, m: w.add_image("x", np.zeros((5, 2, 2))),
    lambda w, m: w.add_image("x", np.zeros((3, 0, 4))),
    lambda w, m: w.add_text("x", 5),
    lambda w, m: w.add_scalar("x", np.zeros(0)),
    lambda w, m: w.add_hparams([], {}),
    lambda w, m: w.add_hparams({"a": [1]}, {}),
    lambda w, m: w.add_hparams({"a": 1}, {}, {"a": ["x"]}),
    lambda w, m: w.add_tensor("x", np.zeros(2)),
    lambda w, m: w.add_audio("x", np.zeros((2, 3))),
    lambda w, m: w.add_custom_scalars_marginchart(["a"]),
    lambda w, m: w.add_custom_scalars({"c": {"t": ["Margin", ["a"]]}}),
])
def test_errors_are_torchs(tmp_path, call):
    from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter
    with TorchSummaryWriter(str(tmp_path / "t")) as theirs, pytest.raises(Exception) as expected:
        call(theirs, torch)
    with SummaryWriter(str(tmp_path / "m")) as ours, pytest.raises(expected.type):
        call(ours, minitorch)
