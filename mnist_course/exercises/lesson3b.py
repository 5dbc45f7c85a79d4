"""Lesson 3b's exercises: one training step, images per epoch, counting mistakes, the confusion matrix."""

from __future__ import annotations

import copy

import torch
from torch import nn

from . import Stop, as_float, call, correct, exercise, mistake, mnist, need
from .lesson3a import lesson_namespace


def _step_parts(seed: int = 0):
    from ..data import to_float_images
    from ..models import MLP

    train = mnist("train")
    torch.manual_seed(seed)
    model = MLP(hidden=(32,))
    return model, to_float_images(train.images[:64]), train.labels[:64]


def _reference(model, images, labels, ending=lambda z: z, steps=2) -> list[list[torch.Tensor]]:
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    after = []
    for _ in range(steps):
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(ending(model(images)), labels).backward()
        optimizer.step()
        after.append([p.detach().clone() for p in model.parameters()])
    return after


def _same(params, reference) -> bool:
    return all(torch.allclose(p.detach(), q, atol=1e-6) for p, q in zip(params, reference, strict=True))


@exercise("3.5", "one training step with an optimizer", answer="train_step", kind="function",
          namespace=lesson_namespace, hints=(
    "The loop inside the lesson's `train_one_epoch` takes exactly this step, one batch at a time.",
    "Give `loss_fn` the model's raw logits: it applies log-softmax itself.",
    "Return a plain Python number, not the tensor (which keeps the graph alive).",
), solution="""
def train_step(model, images, labels, loss_fn, optimizer):
    loss = loss_fn(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
""")
def check_train_step(answer) -> object:
    model, images, labels = _step_parts()
    with torch.no_grad():
        first_loss = nn.CrossEntropyLoss()(model(images), labels).item()  # this batch's loss, before the step
    expected = _reference(model, images, labels)
    with_softmax = _reference(model, images, labels, ending=lambda z: torch.softmax(z, dim=1), steps=1)
    start = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = call(answer, model, images, labels, nn.CrossEntropyLoss(), optimizer, name="train_step")
    need(not torch.is_tensor(loss), "returned the loss tensor",
         "return a Python number (`.item()`): summing tensors (`total += loss`) keeps every batch's "
         "graph alive")
    params = list(model.parameters())
    if _same(params, start):
        need(all(p.grad is not None for p in params), "the gradients are empty: nothing computed them",
             "after the loss, backpropagate it")
        raise Stop(mistake("the weights did not change",
                           "the gradients are there: ask the optimizer to take its step"))
    need(not _same(params, with_softmax[0]), "softmax before the loss", "give `loss_fn` the raw logits")
    need(_same(params, expected[0]), "the step differs from one SGD step on this batch's loss",
         "use the model, loss_fn and optimizer you are given, in the usual order")
    value = as_float(loss, "the returned loss")
    need(abs(value - first_loss) < 1e-5, f"it returned {value:g}, but this batch's loss before the step is "
         f"{first_loss:.4f}", "return the loss you stepped with, as a Python number")
    call(answer, model, images, labels, nn.CrossEntropyLoss(), optimizer, name="train_step")
    need(_same(params, expected[1]), "the second step is wrong: the first step's gradients were added in",
         "`backward()` adds to `.grad`: clear the old gradients before computing new ones")
    return correct("zero_grad, backward, step: the heart of every PyTorch training loop")


def _dataset_namespace() -> dict:
    """Lesson 3b's ``train_dataset`` (as a TensorDataset of the same images) for CI and the tests."""
    from torch.utils.data import TensorDataset

    train = mnist("train")
    return {**lesson_namespace(), "train_dataset": TensorDataset(train.images, train.labels)}


@exercise("3.6", "training images per epoch with drop_last", answer="images_per_epoch",
          namespace=_dataset_namespace,
          hints=(
    "With `drop_last=True`, only whole batches of 64 are used.",
    "How many whole batches fit in `len(train_dataset)` images, and how many images do they hold?",
), solution="""
images_per_epoch = len(train_dataset) // 64 * 64
""")
def check_images_per_epoch(answer) -> object:
    total = len(mnist("train").labels)
    value = as_float(answer, "images_per_epoch")
    if value == total // 64 * 64:
        return correct(f"{int(value):,}: the last {total % 64} images wait for another epoch's shuffle")
    need(value != total, "that is every training image: the last, smaller batch is dropped",
         "drop_last=True keeps only whole batches")
    need(value not in (total // 64, -(-total // 64), total / 64), "that is a number of batches, not of "
         "images", "how many images does each batch hold?")
    need(value != -(-total // 64) * 64, "more images than the training set has",
         "round the number of batches down, not up")
    return mistake("not the number of images in the whole batches", "count whole batches of 64, then images")


def _mistake_parts():
    """A small dropout model in training mode and a loader of 300 test images whose last batch is smaller."""
    from ..data import to_float_images
    from ..models import MLP

    test = mnist("test")
    torch.manual_seed(0)
    model = MLP(hidden=(32,), dropout=0.5)
    images, labels = to_float_images(test.images[:300]), test.labels[:300]
    loader = [(images[i : i + 128], labels[i : i + 128]) for i in range(0, 300, 128)]  # 128, 128, 44
    return model, loader


class _Spy(nn.Module):
    """Wraps a model and remembers whether it ever ran in training mode, or with gradients recorded."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model, self.recorded, self.dropout_on = model, False, False

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.recorded = self.recorded or torch.is_grad_enabled()
        self.dropout_on = self.dropout_on or self.model.training
        return self.model(images)


@exercise("3.7", "counting the mistakes on a loader", answer="count_mistakes", kind="function",
          namespace=lesson_namespace, hints=(
    "Start as `test_model` does: dropout off, and nothing recorded for backward().",
    "For every batch, compare the model's answers (`argmax(dim=1)`) with the labels; add up the differences.",
    "Return a plain Python number, not a tensor.",
), solution="""
def count_mistakes(model, loader, device):
    model.eval()  # dropout off
    mistakes = 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            mistakes += (model(images).argmax(dim=1) != labels).sum().item()
    return mistakes
""")
def check_count_mistakes(answer) -> object:
    model, loader = _mistake_parts()
    spy = _Spy(model)
    spy.train()  # as after training: the function must switch modes itself
    first = call(answer, spy, loader, "cpu", name="count_mistakes")
    need(not torch.is_tensor(first), "it returns a tensor", "return a plain Python int")
    need(isinstance(first, int) and not isinstance(first, bool),
         f"it returns a {type(first).__name__}, not a whole number", "count images, and return a Python int")
    need(not spy.dropout_on, "the model ran in training mode: dropout is on",
         "switch the model to evaluation mode first")
    model.eval()
    with torch.no_grad():
        per_batch = [int((model(images).argmax(dim=1) != labels).sum()) for images, labels in loader]
    wrong, total = sum(per_batch), sum(len(labels) for _, labels in loader)
    need(first != total - wrong, "that counts the right answers",
         "count where the answer differs from the label")
    need(first not in (per_batch[0], per_batch[-1]), "only one batch was counted",
         "add up over every batch of the loader (`+=`)")
    need(first == wrong, f"it counts {first} mistakes, not the {wrong} there are",
         "compare `argmax(dim=1)` with the labels, batch by batch, and add up")
    need(not spy.recorded, "the model ran with gradients recorded",
         "nothing is trained here: compute in a `torch.no_grad()` block")
    return correct("eval() and no_grad(), then compare and add up: test_model's pattern")


def _confusion_namespace() -> dict:
    """Labels and predictions whose most common mistake is a 4 read as a 9 (for CI and the tests)."""
    labels = mnist("test").labels[:2000].clone()
    predictions = labels.clone()
    fours, sevens = (labels == 4).nonzero().flatten(), (labels == 7).nonzero().flatten()
    predictions[fours[:12]] = 9
    predictions[sevens[:5]] = 2
    return {**lesson_namespace(), "test_labels": labels, "predictions": predictions}


@exercise("3.8", "the most common mistake, read from the confusion matrix", answer="most_common_mistake",
          inputs=("test_labels", "predictions"), namespace=_confusion_namespace, hints=(
    "The diagonal holds the right answers: look at the largest number off the diagonal.",
    "Its row is the true digit, its column the model's answer.",
), solution="""
counts = torch.zeros(10, 10, dtype=torch.long)
for true, predicted in zip(test_labels.tolist(), predictions.tolist()):
    counts[true, predicted] += 1
counts.fill_diagonal_(0)  # right answers are not mistakes
most_common_mistake = divmod(counts.argmax().item(), 10)  # (row, column)
""")
def check_most_common_mistake(answer, test_labels, predictions) -> object:
    need(isinstance(answer, (tuple, list)) and len(answer) == 2, "write two digits: "
         "`(true digit, predicted digit)`", "a tuple like `(3, 5)`")
    need(all(isinstance(d, int) and 0 <= d <= 9 for d in answer), "both should be digits 0 to 9",
         "whole numbers, like `(3, 5)`")
    pairs = test_labels.long() * 10 + predictions.long().cpu()
    counts = torch.bincount(pairs, minlength=100).reshape(10, 10)
    true, predicted = answer
    need(true != predicted, "that is a right answer (on the diagonal), not a mistake",
         "look off the diagonal")
    largest = counts.clone().fill_diagonal_(0).max().item()
    if counts[true, predicted] == largest:
        return correct(f"{true} read as {predicted}, {largest} times: rows are true digits, columns answers")
    need(counts[predicted, true] != largest, "row and column are swapped",
         "rows are the true digits, columns the model's answers")
    return mistake(f"{true} read as {predicted} happens {counts[true, predicted].item()} times, not the most",
                   "find the largest count off the diagonal")
