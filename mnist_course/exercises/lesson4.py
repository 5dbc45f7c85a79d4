"""Lesson 4's exercises: the L2 penalty, the tutorial's Adam, picking the best epoch, validation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from . import as_float, correct, exercise, mistake, mnist, need


def _namespace() -> dict:
    from ..models import MLP

    torch.manual_seed(0)
    return {"torch": torch, "nn": nn, "MLP": MLP, "new_model": MLP(hidden=(256, 128))}


@exercise("4.1", "the L2 penalty that equals SGD's weight_decay", answer="l2_loss", kind="function",
          namespace=_namespace, hints=(
    "The L2 penalty adds up the square of every number in every parameter tensor, weights and biases.",
    "The gradient of `lam * w**2` is `2 * lam * w`, and `weight_decay=wd` adds `wd * w`: which `lam` "
    "makes them equal?",
    "Keep it a tensor (no `.item()`, no `torch.no_grad()`): `backward()` must see it.",
), solution="""
def l2_loss(model, weight_decay):
    return (weight_decay / 2) * sum((p**2).sum() for p in model.parameters())
""")
def check_l2_loss(answer) -> object:
    from ..models import MLP
    from . import call

    torch.manual_seed(0)
    model = MLP(hidden=(32,))
    params = list(model.parameters())
    out = call(answer, model, 0.01, name="l2_loss")
    need(torch.is_tensor(out), f"it returns a plain {type(out).__name__}, which has no gradient",
         "return the tensor: do not call `.item()`")
    need(out.requires_grad, "the penalty has no gradient",
         "compute it outside `torch.no_grad()`, no `.detach()`")
    total = sum((p.detach() ** 2).sum() for p in params)
    value = out.item()
    if abs(value - 0.005 * total) < 1e-5 * total:
        need(abs(call(answer, model, 0.1, name="l2_loss").item() - 0.05 * total) < 1e-4 * total,
             "it ignores the `weight_decay` argument", "use the argument, not a fixed number")
        return correct("(wd / 2) * sum(w**2): its gradient wd * w is exactly what SGD's weight_decay adds")
    need(abs(value - 0.01 * total) > 1e-5 * total, "twice too strong: the factor 2 is missing",
         "the gradient of lam * w**2 is 2 * lam * w: which lam makes it weight_decay * w?")
    weights_only = sum((p.detach() ** 2).sum() for p in params if p.ndim > 1)
    need(min(abs(value - k * weights_only) for k in (0.005, 0.01)) > 1e-5 * total, "only the weights, "
         "not the biases", "SGD's weight_decay decays every parameter: sum over `model.parameters()`")
    norm = sum(p.detach().norm() for p in params)
    need(min(abs(value - k * norm) for k in (0.005, 0.01)) > 1e-5 * norm, "norms, not sums of squares",
         "a norm is the square root of the sum of squares: use `(p**2).sum()`")
    l1 = sum(p.detach().abs().sum() for p in params)
    need(min(abs(value - k * l1) for k in (0.005, 0.01)) > 1e-5 * l1, "sums of |w|: that is L1, not L2",
         "square the parameters")
    return mistake("not the L2 penalty that matches weight_decay",
                   "sum the squares of every parameter, scaled so that its gradient is weight_decay * w")


@exercise("4.2", "the tutorial's Adam with L2", answer="adam_optimizer", inputs=("new_model",),
          namespace=_namespace, hints=(
    "It is `torch.optim.Adam(...)`; its first argument is what it trains: `new_model.parameters()`.",
    "The lesson's comparison of learning rates found the one that settles; `weight_decay=1e-5` is the "
    "tutorial's L2.",
), solution="""
adam_optimizer = torch.optim.Adam(new_model.parameters(), lr=1e-3, weight_decay=1e-5)
""")
def check_adam(answer, new_model=None) -> object:
    need(isinstance(answer, torch.optim.Optimizer), f"adam_optimizer should be an optimizer, not a "
         f"{type(answer).__name__}", "make one with `torch.optim.Adam(...)`")
    need(not isinstance(answer, torch.optim.AdamW), "this is AdamW, whose weight_decay is decoupled "
         "(see Adam + L2 vs AdamW)", "the tutorial's Adam + L2 is `torch.optim.Adam`")
    need(type(answer) is torch.optim.Adam, f"this is {type(answer).__name__}", "use `torch.optim.Adam`")
    held = {id(p) for group in answer.param_groups for p in group["params"]}
    mine = {id(p) for p in new_model.parameters()}
    need(held & mine, "it holds the parameters of another model: its steps would never change `new_model`",
         "pass `new_model.parameters()`")
    need(mine <= held, "it holds only some of new_model's parameters", "pass all of `new_model.parameters()`")
    group = answer.param_groups[0]
    need(group["lr"] != 1e-2, "lr=1e-2 is the rate that went wrong earlier in the lesson",
         "use the rate that the lesson found to settle")
    need(abs(group["lr"] - 1e-3) < 1e-12, f"the learning rate is {group['lr']:g}",
         "use the rate that the lesson found to settle")
    need(group["weight_decay"] != 0, "there is no weight decay", "add `weight_decay=1e-5`")
    need(abs(group["weight_decay"] - 1e-5) < 1e-15, f"weight_decay is {group['weight_decay']:g}", "use 1e-5")
    return correct("Adam at 1e-3 with L2 weight_decay=1e-5: the tutorial's optimizer, at a rate that settles")


class _History:
    """The fields of fit's History that the check needs, with made-up curves."""

    def __init__(self, train_loss, test_loss, test_accuracy) -> None:
        self.asked = False  # whether the student's function called History's own best_epoch
        self.epoch = list(range(1, len(train_loss) + 1))
        self.train_loss, self.test_loss, self.test_accuracy = train_loss, test_loss, test_accuracy
        self.train_accuracy = [1 - loss / 3 for loss in train_loss]

    def __len__(self) -> int:
        return len(self.epoch)

    def best_epoch(self, metric: str = "test_loss") -> int:
        self.asked = True
        values = getattr(self, metric)
        pick = min(values) if metric.endswith("loss") else max(values)
        return self.epoch[values.index(pick)]


@exercise("4.3", "the epoch with the lowest validation loss", answer="best_epoch", kind="function",
          namespace=dict, hints=(
    "`fit` records the validation loss of every epoch in `history.test_loss` (it was given test=validation).",
    "Find the position of the smallest value; epochs are numbered from 1, positions from 0.",
), solution="""
def best_epoch(history):
    return history.test_loss.index(min(history.test_loss)) + 1
""")
def check_best_epoch(answer) -> object:
    from . import call

    history = _History(train_loss=[1.0, 0.6, 0.4, 0.3, 0.2, 0.1], test_loss=[0.9, 0.7, 0.5, 0.6, 0.8, 0.9],
                       test_accuracy=[0.80, 0.85, 0.88, 0.89, 0.90, 0.87])
    picked = call(answer, history, name="best_epoch")
    need(not history.asked, "it asks `History.best_epoch`, the method this exercise asks you to write",
         "find the epoch yourself, from the list of validation losses")
    picked = int(as_float(picked, "best_epoch's answer"))
    if picked == 3:
        need(int(call(answer, _History([0.5], [0.4], [0.9]), name="best_epoch")) == 1,
             "wrong for a run of one epoch", "the only epoch, 1, is the best")
        return correct("pick by validation loss, then measure that epoch once on the test set")
    need(picked != 2, "that is the position in the list, counted from 0", "epochs are numbered from 1: add 1")
    need(picked != 6, "that is the last epoch, or the lowest *training* loss",
         "the training loss always falls; choose with the validation loss, `history.test_loss`")
    need(picked != 5, "that is the best validation accuracy", "this lesson keeps the lowest validation loss")
    need(picked != 1, "that is the highest validation loss", "look for the smallest value")
    return mistake(f"epoch {picked} does not have the lowest validation loss", "look at `history.test_loss`")


def _accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The accuracy that ``evaluate`` measures: the images prepared as the model's recipe says."""
    from ..evaluation import evaluate

    return evaluate(model, images, labels)[1]


def _checkpoint_namespace() -> dict:
    """Two epochs' checkpoints of a small model, and lesson 4's splits (for CI)."""
    from ..checkpoints import load_checkpoint, save_checkpoint
    from ..data import to_float_images
    from ..evaluation import evaluate
    from ..models import MLP

    everything, folder = mnist("train"), Path(tempfile.mkdtemp(prefix="lesson4_"))
    train = (everything.images[:-1000], everything.labels[:-1000])
    validation = (everything.images[-1000:], everything.labels[-1000:])
    torch.manual_seed(0)
    model = MLP(hidden=(32,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = to_float_images(train[0][:2000])
    for epoch in (1, 2):
        for start in range(0, 2000, 100):
            loss = nn.functional.cross_entropy(model(images[start:start + 100]), train[1][start:start + 100])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        save_checkpoint(folder / f"epoch_{epoch:02d}.pt", model, metrics={"epoch": epoch})
    return {"final_folder": folder, "train": train, "validation": validation, "test": mnist("test"),
            "load_checkpoint": load_checkpoint, "evaluate": evaluate}


@exercise("4.4", "the validation accuracy of epoch 1's checkpoint", answer="epoch_1_accuracy",
          inputs=("final_folder", "validation", "train", "test"), namespace=_checkpoint_namespace, hints=(
    "`load_checkpoint(path)` returns `(model, info)`; the files in `final_folder` are named by epoch.",
    "`evaluate(model, images, labels)` returns `(loss, accuracy)`; `validation` is `(images, labels)`.",
), solution="""
first_epoch_model, _ = load_checkpoint(final_folder / "epoch_01.pt")
_, epoch_1_accuracy = evaluate(first_epoch_model, *validation)
""")
def check_epoch_1(answer, final_folder=None, validation=None, train=None, test=None) -> object:
    from ..checkpoints import load_checkpoint

    value = as_float(answer, "epoch_1_accuracy")
    model, _ = load_checkpoint(Path(final_folder) / "epoch_01.pt")
    expected = _accuracy(model, validation[0], validation[1])
    if abs(value - expected) < 1e-4:
        return correct(f"{expected:.1%} after one epoch: the checkpoints let you go back to any epoch")
    need(abs(value - 100 * expected) > 0.01, "that looks like a percentage",
         "give a fraction between 0 and 1")
    need(value <= 1, "that is not an accuracy (it is above 1)", "`evaluate` returns (loss, accuracy)")
    for path in sorted(Path(final_folder).glob("epoch_*.pt")):
        if path.name != "epoch_01.pt":
            other, _ = load_checkpoint(path)
            need(abs(value - _accuracy(other, *validation)) > 1e-4, f"that is the accuracy of {path.name}",
                 "load `epoch_01.pt`")
    need(abs(value - _accuracy(model, train[0], train[1])) > 1e-4, "measured on the training images",
         "a model is measured on images it did not learn from: use `validation`")
    need(abs(value - _accuracy(model, test[0], test[1])) > 1e-4, "measured on the test set",
         "the test set is used once, at the very end: use `validation`")
    return mistake("not epoch 1's validation accuracy", "evaluate the model of epoch_01.pt on `validation`")
