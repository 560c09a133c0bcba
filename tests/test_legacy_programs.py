"""Programs in the style of the older PyTorch tutorials and of pytorch/examples' vision
models, ported by changing their imports only (tests/programs/legacy_char_rnn.py:
LongTensor / FloatTensor, unsqueeze_; subpixel_vit.py: PixelShuffle, init.orthogonal_,
Tensor.unfold patches): each runs with minitorch and, imports switched back, with PyTorch;
every number they print must agree. Without torch, they must run and learn."""
import re

from tests._compat import requires_torch
from tests.test_conv_programs import PROGRAMS, _compare, _run


@requires_torch
def test_legacy_char_rnn_prints_torchs_losses_and_samples():
    ours = _compare("legacy_char_rnn.py", rtol=2e-5)
    assert ours.startswith("torch.LongTensor True\n") and ours.count("target (") == 12


@requires_torch
def test_subpixel_and_vit_print_torchs_losses():
    ours = _compare("subpixel_vit.py", rtol=2e-5)
    assert "PixelShuffle(upscale_factor=3)" in ours and ours.count("vit step") == 3


def _losses(text: str, label: str) -> list:
    return [float(v) for v in re.findall(label + r" step \d+ loss (\S+)", text)]


def test_the_programs_run_without_torch_and_learn():
    text = _run((PROGRAMS / "subpixel_vit.py").read_text(), "subpixel_vit")
    sr, vit = _losses(text, "sr"), _losses(text, "vit")
    assert len(sr) == 3 and sr[-1] < sr[0] and vit[-1] < vit[0]
    assert "unshuffled (4, 9, 8, 8)" in text
    text = _run((PROGRAMS / "legacy_char_rnn.py").read_text(), "legacy_char_rnn")
    losses = [float(v) for v in re.findall(r"loss (\S+) target", text)]
    assert len(losses) == 12 and sum(losses[-5:]) < sum(losses[:5])
    assert "target (3, 1) None" in text  # the in-place unsqueeze_ of the LongTensor target
