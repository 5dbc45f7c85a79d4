"""Claims of lesson 3a (hidden layers, activations and dropout), checked on the executed lesson."""

import pytest

from .conftest import run_lesson, solutions_refused


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("03a_hidden_layers_and_dropout")


def test_a_linear_model_is_stuck_at_log_2_on_xor(lesson):
    """"The best a straight border can do is a 50/50 guess for every point: a loss of 0.693"."""
    assert abs(lesson.value("train_on_xor(nn.Linear(2, 2))") - 0.693) < 0.01


def test_the_small_mlp_learns_xor_perfectly(lesson):
    """"It learns XOR perfectly": every answer right, and a loss near 0."""
    assert lesson.value("xor_mlp(points).argmax(dim=1).tolist()") == [0, 1, 1, 0]
    assert lesson.value("F.cross_entropy(xor_mlp(points), targets).item()") < 0.05


def test_dropout_gives_two_different_outputs_in_train_mode_only(lesson):
    assert lesson.value("same_in_train_mode") is False
    assert lesson.value("sorted(set(dropped.flatten().tolist()))") == [0.0, 2.0]


def test_the_sigmoid_networks_first_layer_gets_a_much_smaller_gradient(lesson):
    """"Its first layer gets a gradient several times smaller than its last, and several times
    smaller than the first layer of the ReLU network"."""
    norms = lesson.value("norms")
    assert norms["sigmoid"][0] < norms["sigmoid"][-1] / 5
    assert norms["sigmoid"][0] < norms["relu"][0] / 3


def test_softmax_first_squashes_the_loss_and_the_gradient(lesson):
    """"Even this perfect answer gets a loss of 1.46"; "the gradient almost vanishes, 20,000 times weaker"."""
    perfect = lesson.value("F.cross_entropy(F.softmax(sure_and_right, dim=1), label).item()")
    assert abs(perfect - 1.46) < 0.01
    gradient = "torch.autograd.grad(F.cross_entropy({}, label), sure_and_wrong)[0][0, 0].item()"
    raw = lesson.value(gradient.format("sure_and_wrong"))
    squashed = lesson.value(gradient.format("F.softmax(sure_and_wrong, dim=1)"))
    ratio = raw / squashed
    assert 15_000 < ratio < 25_000


def test_every_solution_is_correct_in_the_lesson(lesson):
    """Each exercise's solution, typed into its cell of this lesson, gets "correct" (issue 18)."""
    assert solutions_refused(lesson) == ""
