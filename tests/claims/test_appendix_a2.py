"""Claims of appendix A2 (Adam up close), checked on the executed appendix under another training order."""

import pytest

from .conftest import run_lesson


@pytest.fixture(scope="module")
def appendix():
    yield from run_lesson("A2_adam_up_close")


def test_adam_steps_lr_when_gradients_agree_large_or_tiny(appendix):
    """"the step is lr, whether the gradient is 10 or 0.001"."""
    for kind in ("large, always +10", "tiny, always +0.001"):
        assert abs(appendix.value(f"steps[{kind!r}]") - 1e-3) < 1e-5


def test_noisy_gradients_give_steps_several_times_smaller_than_lr(appendix):
    assert appendix.value("steps['noisy, +1 or -1 at random']") < 1e-3 / 3


def test_first_layer_weights_start_about_002(appendix):
    assert 0.015 < appendix.value("float(first_layer.weight.abs().mean())") < 0.025


def test_adamw_decays_before_its_step(appendix):
    """0.8, not 0.81."""
    assert abs(appendix.value("weight.item()") - 0.8) < 1e-4


def test_the_tutorials_optimizer_does_not_settle_and_grows_its_weights(appendix):
    """"jumps up and down and ends above the loss with lr=1e-3", "more than twice as large"."""
    losses = appendix.value("tutorial_losses")
    assert any(losses[i + 1] > losses[i] for i in range(len(losses) - 1))
    assert appendix.value("tutorial_losses[-1] > usual_losses[-1]")
    norms = appendix.value("[float(m.layers[1].weight.norm()) for m in (tutorial_model, usual_model)]")
    assert norms[0] > 2 * norms[1]
