"""Lesson 3's exercises: counting parameters, XOR without ReLU, eval-mode predictions, a training step."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from . import Stop, as_float, call, correct, exercise, mistake, mnist, need


def _namespace() -> dict:
    from ..models import MLP

    return {"torch": torch, "nn": nn, "F": F, "MLP": MLP}


@exercise("3.1", "the number of parameters of 784-250-200-10, by hand", answer="by_hand",
          namespace=_namespace, hints=(
    "A `Linear(a, b)` layer has `a * b` weights and `b` biases.",
    "The network has three Linear layers: 784 -> 250, 250 -> 200 and 200 -> 10. Add all of them up.",
), solution="""
by_hand = (784 * 250 + 250) + (250 * 200 + 200) + (200 * 10 + 10)
""")
def check_parameters(answer) -> object:
    value = as_float(answer, "by_hand")
    layers = ((784, 250), (250, 200), (200, 10))
    if value == sum(a * b + b for a, b in layers):
        return correct(f"{int(value):,}: almost all of them in the first layer, which sees every pixel")
    need(value != sum(a * b for a, b in layers), "the biases are missing",
         "each Linear(a, b) also has b biases")
    need(value != 784 + 250 + 200 + 10, "that counts the units, not the numbers to learn",
         "count the weights between layers: a * b for each Linear(a, b)")
    need(value != sum(a * b + b for a, b in layers[:2]), "the output layer is missing", "add Linear(200, 10)")
    need(value not in (136_074, 523_326), "that is another network of the lesson",
         "this one is 784-250-200-10")
    return mistake("not the number of parameters", "add a * b + b for each of the three Linear layers")


def _xor() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), torch.tensor([0, 1, 1, 0])


@exercise("3.2", "the XOR network without its ReLU", answer="no_relu", namespace=_namespace, hints=(
    "Start from the lesson's XOR network, built with `nn.Sequential`.",
    "Keep both Linear layers, with their sizes; only what sits between them goes.",
), solution="""
no_relu = nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 2))
""")
def check_no_relu(answer) -> object:
    need(isinstance(answer, nn.Module), f"no_relu should be a network (an nn.Module), not a "
         f"{type(answer).__name__}", "build it with `nn.Sequential(...)`")
    layers = list(answer.modules())
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    activations = [type(m).__name__ for m in layers if isinstance(m, (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.GELU))]
    need(not activations, f"it still has an activation ({', '.join(activations)})", "remove the nn.ReLU()")
    need(len(linears) == 2, f"{len(linears)} Linear layer(s) instead of 2",
         "keep both: the point is that two linear layers in a row are still one")
    need(linears[0].in_features == 2 and linears[-1].out_features == 2, "the sizes do not fit XOR",
         "2 inputs in, 2 scores out: Linear(2, 8), then Linear(8, 2)")
    points, targets = _xor()
    torch.manual_seed(0)
    optimizer = torch.optim.SGD(answer.parameters(), lr=0.1, momentum=0.9)
    for _ in range(300):
        loss = F.cross_entropy(answer(points), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    need(abs(loss.item() - 0.693) < 0.02, f"after 300 steps its loss is {loss.item():.3f}",
         "build exactly Linear(2, 8) then Linear(8, 2)")
    return correct("stuck at log(2) = 0.693 like the linear model: without an activation, "
                   "two layers are one linear layer")


def _dropout_model() -> tuple[nn.Module, torch.Tensor]:
    from ..data import to_float_images
    from ..models import MLP

    torch.manual_seed(0)
    return MLP(hidden=(64,), dropout=0.5), to_float_images(mnist("test").images[:200])


@exercise("3.3", "probabilities from a model, in eval mode and without gradients",
          answer="predict_probabilities", kind="function", namespace=_namespace, hints=(
    "Dropout must be off while you measure: switch the model to evaluation mode, and afterwards back to "
    "the mode it came in (the caller may go on training it).",
    "Nothing is trained here: run the model with recording switched off, as `test_model` does.",
    "The model gives logits: softmax turns each row into probabilities "
    "(over the 10 classes, not over the images).",
), solution="""
def predict_probabilities(model, images):
    was_training = model.training
    model.eval()  # dropout off
    with torch.no_grad():  # no graph: we only measure
        probabilities = torch.softmax(model(images), dim=1)  # (N, 10)
    model.train(was_training)  # leave the model in the mode it came in
    return probabilities
""")
def check_predict_probabilities(answer) -> object:
    model, images = _dropout_model()
    model.train()  # as after training: the function must switch modes itself
    seen = []  # (recording gradients?, training mode?) at each forward pass
    model.register_forward_hook(lambda module, *_: seen.append((torch.is_grad_enabled(), module.training)))
    first = call(answer, model, images, name="predict_probabilities")
    left_training = model.training
    need(torch.is_tensor(first) and tuple(first.shape) == (200, 10), "for 200 images it should return a "
         f"(200, 10) tensor, not {tuple(first.shape) if torch.is_tensor(first) else type(first).__name__}",
         "one row of 10 probabilities per image")
    need(first.grad_fn is None, "the result carries a gradient graph (`grad_fn`)",
         "nothing is trained here: run the model inside a `no_grad` block")
    need(not any(recording for recording, _ in seen), "the model ran while PyTorch recorded a graph for "
         "`backward()`; dropping it afterwards (`.detach()`) does not undo the work",
         "run the model inside a `no_grad` block: then nothing is recorded at all")
    need(not any(training for _, training in seen), "the model ran in training mode: dropout is on",
         "switch the model to evaluation mode before using it")
    model.train()
    second = call(answer, model, images, name="predict_probabilities")
    need(torch.allclose(first, second), "two calls on the same images give different answers: dropout is on",
         "switch the model to evaluation mode before using it")
    sums = first.sum(dim=1)
    need(not torch.allclose(first.exp().sum(dim=1), torch.ones(200), atol=1e-4),
         "these are log-probabilities", "use softmax, not log_softmax")
    need(not torch.allclose(first.sum(dim=0), torch.ones(10), atol=1e-4),
         "each column sums to 1, not each row",
         "softmax over the 10 classes: dim=1")
    need(bool((first >= 0).all()) and torch.allclose(sums, torch.ones(200), atol=1e-4),
         "the rows do not sum to 1: these look like logits", "apply `torch.softmax(..., dim=1)`")
    one = call(answer, model, images[:1], name="predict_probabilities")
    need(tuple(one.shape) == (1, 10), f"for a single image it returns shape {tuple(one.shape)}",
         "do not squeeze the batch axis away")
    model.eval()
    with torch.no_grad():
        need(torch.allclose(first, torch.softmax(model(images), dim=1), atol=1e-5),
             "not the model's probabilities", "softmax of `model(images)`")
    need(left_training, "the model came in training mode and is left in evaluation mode: training it "
         "next would run without dropout",
         "note which mode the model was in, and put it back before returning")
    call(answer, model.eval(), images[:1], name="predict_probabilities")
    need(not model.training, "the model came in evaluation mode and is left in training mode",
         "put back the mode the model came in, whichever it was")
    return correct("eval() for the same answer every time, no_grad() for speed: how to use a trained model")


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


@exercise("3.4", "one training step with an optimizer", answer="train_step", kind="function",
          namespace=_namespace, hints=(
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


# ---------------------------------------------------------------------------------------------
# Lessons 3a and 3b (issue 18): 3.5 in 3a; 3.6, 3.7 and 3.8 in 3b. A self-contained block.

_ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.LeakyReLU, nn.SiLU, nn.ELU)


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not list(m.children())]


@exercise("3.5", "the tutorial's sigmoid-and-softmax network, fixed", answer="fixed", namespace=_namespace,
          hints=(
    "Keep the Flatten and the three Linear layers with their sizes; change what sits between and after them.",
    "Section 5 says which activation lets the gradients flow back; "
    "section 6 says what the loss must receive.",
), solution="""
fixed = nn.Sequential(nn.Flatten(), nn.Linear(784, 250), nn.ReLU(), nn.Linear(250, 200), nn.ReLU(),
                      nn.Linear(200, 10))
""")
def check_fixed_network(answer) -> object:
    need(isinstance(answer, nn.Module),
         f"fixed should be a network (an nn.Module), not a {type(answer).__name__}",
         "build it with `nn.Sequential(...)`, layer by layer")
    leaves = _leaves(answer)
    sizes = [(m.in_features, m.out_features) for m in leaves if isinstance(m, nn.Linear)]
    need(sizes == [(784, 250), (250, 200), (200, 10)], f"the Linear layers are {sizes}",
         "keep the tutorial's sizes: 784 -> 250 -> 200 -> 10")
    last = max(i for i, m in enumerate(leaves) if isinstance(m, nn.Linear))
    ending = [type(m).__name__ for m in leaves[last + 1:] if not isinstance(m, nn.Dropout)]
    need("Softmax" not in ending, "it still ends in a softmax: CrossEntropyLoss would apply softmax a second "
         "time", "what should the last Linear layer hand to the loss?")
    need("LogSoftmax" not in ending,
         "it ends in a log_softmax: harmless before CrossEntropyLoss, but redundant",
         "the loss already does that step itself")
    need(not ending, f"after the output layer comes {', '.join(ending)}: the logits could no longer be any "
         "number", "nothing after the last Linear layer")
    sigmoids = [m for m in leaves if isinstance(m, (nn.Sigmoid, nn.Tanh))]
    need(not sigmoids, f"it still uses {type(sigmoids[0]).__name__ if sigmoids else ''}, which saturates",
         "section 5: which activation has a slope of 1 for positive inputs?")
    linear_at = [i for i, m in enumerate(leaves) if isinstance(m, nn.Linear)]
    for number, (start, end) in enumerate(zip(linear_at, linear_at[1:], strict=False), start=1):
        between = [m for m in leaves[start + 1:end] if isinstance(m, _ACTIVATIONS)]
        need(bool(between), f"nothing non-linear after hidden layer {number}: two linear layers in a row are "
             "one", "an activation after each hidden layer")
    try:
        with torch.no_grad():
            logits = answer(torch.zeros(2, 1, 28, 28))
    except Exception as error:  # the student's network: say what it raised
        raise Stop(mistake(f"a batch of images (2, 1, 28, 28) raises {type(error).__name__}",
                           "the first layer must flatten each image to 784 numbers")) from error
    need(tuple(logits.shape) == (2, 10), f"a batch of 2 images gives shape {tuple(logits.shape)}",
         "10 logits per image")
    return correct("ReLU for gradients that flow back, raw logits for CrossEntropyLoss")


def _dataset_namespace() -> dict:
    """Lesson 3b's ``train_dataset`` (as a TensorDataset of the same images) for CI and the tests."""
    from torch.utils.data import TensorDataset

    return {**_namespace(), "train_dataset": TensorDataset(mnist("train").images, mnist("train").labels)}


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
          namespace=_namespace, hints=(
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
    return {**_namespace(), "test_labels": labels, "predictions": predictions}


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
