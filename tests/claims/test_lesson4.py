"""Claims of lesson 4 (Adam with L2), checked on the executed lesson under another training order."""

import pytest

from .conftest import run_lesson, solutions_refused


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("04_adam_with_l2")


def last(lesson, runs: str, name: str, metric: str) -> float:
    """The last epoch's ``metric`` of run ``name`` in the lesson's dict ``runs``."""
    return lesson.value(f"float({runs}[{name!r}].{metric}[-1])")


def norm(lesson, models: str, name: str) -> float:
    """The norm of the first-layer weights of ``models[name]``."""
    return lesson.value(f"float({models}[{name!r}].layers[1].weight.norm())")


def test_momentum_and_adam_end_several_points_above_plain_sgd(lesson):
    """"Momentum and Adam both end several points of accuracy higher" than SGD at lr=0.01."""
    sgd = last(lesson, "histories", "SGD lr=0.01", "test_accuracy")
    assert last(lesson, "histories", "SGD+momentum", "test_accuracy") > sgd + 0.03
    assert last(lesson, "histories", "Adam lr=1e-3", "test_accuracy") > sgd + 0.03


def test_adam_at_1e2_ends_with_a_higher_validation_loss_than_at_1e3_after_going_up_and_down(lesson):
    """The predict-first answer ("higher"); "its validation loss goes up and down"."""
    assert last(lesson, "histories", "Adam lr=1e-2", "test_loss") > last(lesson, "histories", "Adam lr=1e-3",
                                                                         "test_loss")
    assert lesson.value("high_rate_loss") == "higher"
    losses = lesson.value("histories['Adam lr=1e-2'].test_loss")
    assert any(losses[i + 1] > losses[i] for i in range(len(losses) - 1)), "it goes up and down"


def test_adam_at_1e4_is_still_behind_after_5_epochs(lesson):
    assert last(lesson, "histories", "Adam lr=1e-4", "test_loss") > last(lesson, "histories", "Adam lr=1e-3",
                                                                         "test_loss")


def test_weights_start_about_002_and_grow_several_times_larger_at_1e2(lesson):
    """"starts at a size of about 0.02", "the weights grow several times larger than with 1e-3"."""
    assert 0.015 < lesson.value("float(start_size)") < 0.025
    assert norm(lesson, "models", "Adam lr=1e-2") > 2 * norm(lesson, "models", "Adam lr=1e-3")


def test_weight_decay_is_the_half_penalty_and_not_the_whole_one(lesson):
    assert lesson.value("same_weights(model_a, model_b)") is True
    assert lesson.value("same_weights(model_a, model_c)") is False


def test_adam_l2_moves_only_the_unused_weight_adamw_both_alike(lesson):
    """Adam + L2: ~0 and almost 0.1; AdamW: 0.001 and 0.001."""
    big, zero = lesson.value("moved_by_decay(torch.optim.Adam).tolist()")
    assert abs(big) < 0.005 and 0.08 < zero < 0.1
    big, zero = lesson.value("moved_by_decay(torch.optim.AdamW).tolist()")
    assert abs(big - 0.001) < 2e-4 and abs(zero - 0.001) < 2e-4


def test_overfitting_train_accuracy_100_validation_loss_rises_accuracy_stays(lesson):
    assert lesson.value("plain.train_accuracy[-1]") > 0.99
    assert lesson.value("plain.test_loss[-1] > 1.1 * min(plain.test_loss)")
    assert lesson.value("plain.best_epoch('test_loss')") <= 8  # "stops improving after a few epochs"
    assert lesson.value("max(plain.test_accuracy) - plain.test_accuracy[-1]") < 0.03  # "about the same"


def test_the_best_epochs_checkpoint_gives_the_loss_fit_recorded(lesson):
    best = lesson.value("plain.best_epoch('test_loss')")
    recorded = lesson.value(f"plain.test_loss[{best} - 1]")
    assert abs(lesson.value("best_loss") - recorded) < 1e-4 * recorded


def test_adam_l2_shrinks_the_weights_adamw_1e3_changes_almost_nothing(lesson):
    plain = norm(lesson, "big_models", "no regularisation")
    assert norm(lesson, "big_models", "Adam + L2 1e-3") < 0.8 * plain
    assert norm(lesson, "big_models", "AdamW 1e-3") > 0.9 * plain
    plain_loss = last(lesson, "runs", "no regularisation", "test_loss")
    assert last(lesson, "runs", "Adam + L2 1e-3", "test_loss") < plain_loss
    assert abs(last(lesson, "runs", "AdamW 1e-3", "test_loss") - plain_loss) < 0.05  # nearly the same curve


def test_dropout_memorises_less_and_ends_with_a_lower_validation_loss(lesson):
    for metric in ("test_loss", "train_accuracy"):
        assert last(lesson, "runs", "dropout 0.5", metric) < last(lesson, "runs", "no regularisation", metric)


def test_augmentation_helps_most_on_validation_and_on_test(lesson):
    assert lesson.value("min(runs, key=lambda name: runs[name].test_loss[-1])") == "augmentation"
    assert lesson.value("lowest") == "augmentation"  # the second predict-first answer
    assert lesson.value("max(runs, key=lambda name: runs[name].test_accuracy[-1])") == "augmentation"
    assert last(lesson, "runs", "augmentation", "test_accuracy") > last(lesson, "runs", "no regularisation",
                                                                        "test_accuracy") + 0.01
    assert lesson.value("augmented_test_accuracy > plain_test_accuracy")


def test_final_model_trains_below_validation_and_passes_975_on_test(lesson):
    assert lesson.value("sum(final.train_accuracy) < sum(final.test_accuracy)")
    assert lesson.value("1 <= best <= len(final)")
    assert lesson.value("test_accuracy") > 0.975
    assert lesson.value("saved['recipe']['preprocess']") == {"deskew": True}


def test_every_solution_is_correct_in_the_lesson(lesson):
    """Each exercise's solution, typed into its cell of this lesson, gets "correct" (issue 18)."""
    assert solutions_refused(lesson) == ""
