"""The exercises: every solution passes its own check, typical mistakes are named, blanks are blank.

Each answer is written as a student would write it (source code), run in the namespace the
lesson has at that point (real MNIST, small models), and fed to the check.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

import jupytext
import pytest

import mnist_course.exercises as framework
from mnist_course.exercises import EXERCISES, HelpBar, check, feedback, guess_feedback

LESSONS = sorted((Path(__file__).resolve().parent.parent / "lessons" / "scripts").glob("0*.py"))
CHECK_CALL = re.compile(r'check\("(\d\.\d)"')


def answer_of(key: str, source: str):
    """Run ``source`` in exercise ``key``'s namespace; return the answer and the check's inputs."""
    item = EXERCISES[key]
    namespace = item.namespace()
    exec(source, namespace)
    return namespace[item.answer_name], {name: namespace.get(name, ...) for name in item.inputs}


def squash(text: str) -> str:
    """``text`` without whitespace, with one kind of quote: how a line is compared."""
    return re.sub(r"\s+", "", text).replace('"', "'")


def solution_fragments(solution: str) -> set[str]:
    """The parts of a solution that would give it away: each statement (a `def` line and a bare name
    aside), the value it assigns or returns, and each longer expression inside (a call with arguments,
    arithmetic, an index, a comparison); all squashed.
    """
    found = set()
    for node in ast.walk(ast.parse(solution)):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr, ast.With)):
            found.add(squash(ast.unparse(node).splitlines()[0]))
            if getattr(node, "value", None) is not None:
                found.add(squash(ast.unparse(node.value)))
        if isinstance(node, (ast.BinOp, ast.Subscript, ast.Compare, ast.ListComp, ast.GeneratorExp)) or (
                isinstance(node, ast.Call) and (node.args or node.keywords)):
            text = squash(ast.unparse(node))
            found.update([text] if len(text) >= 20 else [])
    return {text for text in found if len(text) >= 8 and not text.isidentifier() and text != "..."}


def texts_of(module) -> list[str]:
    """Every string a module writes (messages, hints), except solutions and docstrings."""
    tree = ast.parse(inspect.getsource(module))
    skip = {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.keyword) and node.arg == "solution"}
    skip |= {id(node.body[0].value) for node in ast.walk(tree)
             if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
             and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if id(node) not in skip and isinstance(node, ast.Constant) and isinstance(node.value, str)]


def leaks(key: str, text: str) -> list[str]:
    """The fragments of exercise ``key``'s solution that ``text`` contains."""
    fragments = solution_fragments(EXERCISES[key].solution)
    return sorted(fragment for fragment in fragments if fragment in squash(text))


def test_the_leak_finder_finds_a_solution_line_and_its_formula():
    assert leaks("6.1", "try (size + 2*padding - kernel_size)//stride + 1")
    assert leaks("5.2", 'rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")')
    assert leaks("4.4", "`load_checkpoint(final_folder / 'epoch_01.pt')` returns the model")
    assert not leaks("6.1", "padding is added on both sides") and not leaks("3.3", "`return probabilities`")


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_no_hint_and_no_message_gives_the_solution_away(key):
    """Every hint, and every string the check's module or the framework can print, is free of the
    solution's lines and formulas (the Solution button is the only place they appear).
    """
    item = EXERCISES[key]
    texts = [*item.hints, *texts_of(sys.modules[item.checker.__module__]), *texts_of(framework)]
    found = {text[:80]: leaks(key, text) for text in texts if leaks(key, text)}
    assert not found, found


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_every_solution_passes_its_check(key):
    answer, inputs = answer_of(key, EXERCISES[key].solution)
    verdict = feedback(key, answer, **inputs)
    assert verdict.status == "correct", str(verdict)
    assert str(verdict).startswith("correct: ")


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_the_untouched_blank_is_not_answered_yet(key):
    item = EXERCISES[key]
    blank = "def {0}(*args):\n    ...  # your code here\n" if item.kind == "function" else "{0} = ...\n"
    answer, inputs = answer_of(key, blank.format(item.answer_name))
    verdict = feedback(key, answer, **inputs)
    assert verdict.status == "blank", str(verdict)
    assert str(verdict).startswith("not answered yet: ")


WRONG = [
    ("1.1", "sevens = train.labels[train.labels == 7]", "labels, not images"),
    ("1.1", "sevens = test.images[test.labels == 7]", "test set"),
    ("1.1", "sevens = train.images[train.labels == 1]", "digit 1"),
    ("1.1", "sevens = train.images[train.labels == 7][:9]", "only the first 9"),
    ("1.1", "sevens = train.labels == 7", "the True/False mask itself"),
    ("1.2", "averages = train.images.float().mean(dim=0)", "one average of all the digits"),
    ("1.2", "averages = torch.stack([train.images[train.labels == d].float().mean(dim=0) for d in range(10)])"
            ".view(10, -1)", "flattened"),
    ("1.2", "averages = torch.stack([train.images[train.labels == d].float().sum(dim=0) for d in range(10)])",
     "sums, not averages"),
    ("1.2", "averages = torch.stack([train.images[train.labels == d].float().mean(dim=0).round().long() "
            "for d in range(10)])", "whole numbers"),
    ("1.3", "background = (train.images == 0).sum().item()", "count of pixels"),
    ("1.3", "background = (train.images != 0).float().mean().item()", "some ink"),
    ("1.3", "background = 100 * (train.images == 0).float().mean().item()", "percentage"),
    ("1.4", "test_loader = DataLoader(mnist_dataset('test', transform=normalize), batch_size=100, "
            "shuffle=True)", "shuffled"),
    ("1.4", "test_loader = DataLoader(mnist_dataset('train', transform=normalize), batch_size=100)",
     "training images"),
    ("1.4", "from torchvision import transforms\n"
            "plain = transforms.ToTensor()\n"
            "test_loader = DataLoader(mnist_dataset('test', transform=plain), batch_size=100)",
     "not normalised"),
    ("1.4", "test_loader = DataLoader(mnist_dataset('test', transform=normalize), batch_size=64)",
     "batches of 64"),
    ("1.4", "from torchvision import transforms\n"
            "half = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])\n"
            "test_loader = DataLoader(mnist_dataset('test', transform=half), batch_size=100)",
     "mean 0.5 and std 0.5"),
    ("2.1", "def softmax(logits):\n    return logits.exp() / logits.exp().sum()",
     "all the probabilities of the batch"),
    ("2.1", "def softmax(logits):\n    return logits.exp() / logits.exp().sum(dim=1, keepdim=True)",
     "overflows"),
    ("2.1", "def softmax(logits):\n    return logits.exp() / logits.exp().sum(dim=0, keepdim=True)",
     "each column"),
    ("2.1", "def softmax(logits):\n    return logits.exp() / logits.exp().sum(dim=1)", "keepdim=True"),
    ("2.1", "def softmax(logits):\n    return torch.log_softmax(logits, dim=1)", "log-probabilities"),
    ("2.4", "def accuracy_per_digit(predictions, labels):\n"
            "    return [(labels[predictions == d] == d).float().mean().item() for d in range(10)]",
     "*answers* d"),
    ("2.4", "def accuracy_per_digit(predictions, labels):\n"
            "    return [(predictions == labels).float().mean().item()] * 10", "overall accuracy"),
    ("2.4", "def accuracy_per_digit(predictions, labels):\n"
            "    return [(predictions[labels == d] == d).sum().item() / len(labels) for d in range(10)]",
     "divided by all the images"),
    ("2.2", "def train_step(images, labels, weights, bias, lr):\n"
            "    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)\n"
            "    loss.backward()\n"
            "    with torch.no_grad():\n"
            "        weights -= lr * weights.grad\n"
            "        bias -= lr * bias.grad\n"
            "    return loss.item()", "still in `.grad`"),
    ("2.2", "def train_step(images, labels, weights, bias, lr):\n"
            "    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)\n"
            "    loss.backward()\n"
            "    weights -= lr * weights.grad\n"
            "    return loss.item()", "torch.no_grad()"),
    ("2.2", "def train_step(images, labels, weights, bias, lr):\n"
            "    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)\n"
            "    loss.backward()\n"
            "    with torch.no_grad():\n"
            "        weights += lr * weights.grad\n"
            "        bias += lr * bias.grad\n"
            "        weights.grad.zero_()\n"
            "        bias.grad.zero_()\n"
            "    return loss.item()", "uphill"),
    ("2.2", "def train_step(images, labels, weights, bias, lr):\n"
            "    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)\n"
            "    loss.backward()\n"
            "    weights = weights - lr * weights.grad\n"
            "    return loss.item()", "did not change"),
    ("2.2", "def train_step(images, labels, weights, bias, lr):\n"
            "    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)\n"
            "    loss.backward()\n"
            "    with torch.no_grad():\n"
            "        weights -= lr * weights.grad\n"
            "        bias -= lr * bias.grad\n"
            "        weights.grad.zero_()\n"
            "        bias.grad.zero_()\n"
            "    return loss", "loss tensor"),
    ("2.2", "def train_step(images, labels, weights, bias, lr):\n"
            "    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)\n"
            "    loss.backward()\n"
            "    with torch.no_grad():\n"
            "        weights -= lr * weights.grad\n"
            "        bias -= lr * bias.grad\n"
            "        weights.grad.zero_()\n"
            "        bias.grad.zero_()\n"
            "    return 0", "before the step"),
    ("2.3", "start_weights = torch.zeros(10, 784, requires_grad=True)\nstart_bias = torch.zeros(10)",
     "nn.Linear's layout"),
    ("2.3", "start_weights = torch.zeros(784, 10)\nstart_bias = torch.zeros(10, requires_grad=True)",
     "will not compute gradients"),
    ("2.3", "start_weights = torch.zeros(784, 10, requires_grad=True) * 1\n"
            "start_bias = torch.zeros(10, requires_grad=True)", "result of a computation"),
    ("2.3", "start_weights = torch.randn(784, 10, requires_grad=True)\n"
            "start_bias = torch.zeros(10, requires_grad=True)", "not all zeros"),
    ("3.1", "by_hand = 784 * 250 + 250 * 200 + 200 * 10", "biases are missing"),
    ("3.1", "by_hand = 784 + 250 + 200 + 10", "counts the units"),
    ("3.1", "by_hand = (784 * 250 + 250) + (250 * 200 + 200)", "output layer is missing"),
    ("3.2", "no_relu = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))",
     "still has an activation"),
    ("3.2", "no_relu = nn.Sequential(nn.Linear(2, 2))", "1 Linear layer(s)"),
    ("3.2", "no_relu = nn.Linear(2, 8)", "1 Linear layer(s)"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    with torch.no_grad():\n"
            "        return torch.softmax(model(images), dim=1)", "dropout is on"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    return torch.softmax(model(images), dim=1)", "gradient graph"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    with torch.no_grad():\n"
            "        return model(images)", "look like logits"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    with torch.no_grad():\n"
            "        return torch.log_softmax(model(images), dim=1)", "log-probabilities"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    with torch.no_grad():\n"
            "        return torch.softmax(model(images), dim=1).squeeze()", "single image"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    probabilities = torch.softmax(model(images), dim=1).detach()\n"
            "    model.train()\n"
            "    return probabilities", "recorded a graph"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    with torch.no_grad():\n"
            "        return torch.softmax(model(images), dim=1)", "left in evaluation mode"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    model.eval()\n"
            "    with torch.no_grad():\n"
            "        probabilities = torch.softmax(model(images), dim=1)\n"
            "    model.train()\n"
            "    return probabilities", "left in training mode"),
    ("3.5", "def train_step(model, images, labels, loss_fn, optimizer):\n"
            "    loss = loss_fn(model(images), labels)\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
            "    return loss.item()", "gradients were added in"),
    ("3.5", "def train_step(model, images, labels, loss_fn, optimizer):\n"
            "    loss = loss_fn(model(images), labels)\n"
            "    optimizer.zero_grad()\n"
            "    loss.backward()\n"
            "    return loss.item()", "did not change"),
    ("3.5", "def train_step(model, images, labels, loss_fn, optimizer):\n"
            "    loss = loss_fn(torch.softmax(model(images), dim=1), labels)\n"
            "    optimizer.zero_grad()\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
            "    return loss.item()", "softmax before the loss"),
    ("3.5", "def train_step(model, images, labels, loss_fn, optimizer):\n"
            "    loss = loss_fn(model(images), labels)\n"
            "    optimizer.zero_grad()\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
            "    return loss", "returned the loss tensor"),
    ("3.5", "def train_step(model, images, labels, loss_fn, optimizer):\n"
            "    loss = loss_fn(model(images), labels)\n"
            "    optimizer.zero_grad()\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
            "    return 2.3", "before the step"),
    ("3.5", "def train_step(model, images, labels, loss_fn, optimizer):\n"
            "    optimizer.zero_grad()\n"
            "    loss_fn(model(images), labels).backward()\n"
            "    optimizer.step()\n"
            "    return loss_fn(model(images), labels).item()", "before the step"),
    ("4.1", "def l2_loss(model, weight_decay):\n"
            "    return weight_decay * sum((p**2).sum() for p in model.parameters())", "factor 2"),
    ("4.1", "def l2_loss(model, weight_decay):\n"
            "    return (weight_decay / 2) * sum((p**2).sum() for n, p in model.named_parameters() "
            "if 'weight' in n)", "not the biases"),
    ("4.1", "def l2_loss(model, weight_decay):\n"
            "    return ((weight_decay / 2) * sum((p**2).sum() for p in model.parameters())).item()",
     "no gradient"),
    ("4.1", "def l2_loss(model, weight_decay):\n"
            "    return (weight_decay / 2) * sum(p.norm() for p in model.parameters())", "norms"),
    ("4.1", "def l2_loss(model, weight_decay):\n"
            "    return 0.005 * sum((p**2).sum() for p in model.parameters())", "ignores the `weight_decay`"),
    ("4.2", "adam_optimizer = torch.optim.AdamW(new_model.parameters(), lr=1e-3, weight_decay=1e-5)",
     "AdamW"),
    ("4.2", "adam_optimizer = torch.optim.Adam(new_model.parameters(), lr=1e-2, weight_decay=1e-5)",
     "lr=1e-2"),
    ("4.2", "adam_optimizer = torch.optim.Adam(MLP().parameters(), lr=1e-3, weight_decay=1e-5)",
     "another model"),
    ("4.2", "adam_optimizer = torch.optim.Adam(new_model.parameters(), lr=1e-3)", "no weight decay"),
    ("4.3", "def best_epoch(history):\n    return history.test_loss.index(min(history.test_loss))", "from 0"),
    ("4.3", "def best_epoch(history):\n"
            "    return history.train_loss.index(min(history.train_loss)) + 1", "*training* loss"),
    ("4.3", "def best_epoch(history):\n"
            "    return history.test_accuracy.index(max(history.test_accuracy)) + 1", "validation accuracy"),
    ("4.3", "def best_epoch(history):\n    return history.best_epoch()", "asks `History.best_epoch`"),
    ("4.3", "def best_epoch(history):\n    return history.best_epoch('test_loss')",
     "asks `History.best_epoch`"),
    ("4.4", "m, _ = load_checkpoint(final_folder / 'epoch_01.pt')\n_, epoch_1_accuracy = evaluate(m, *train)",
     "training images"),
    ("4.4", "m, _ = load_checkpoint(final_folder / 'epoch_01.pt')\n"
            "_, epoch_1_accuracy = evaluate(m, test.images, test.labels)", "test set"),
    ("4.4", "m, _ = load_checkpoint(final_folder / 'epoch_02.pt')\n"
            "_, epoch_1_accuracy = evaluate(m, *validation)",
     "epoch_02.pt"),
    ("4.4", "m, _ = load_checkpoint(final_folder / 'epoch_01.pt')\n"
            "epoch_1_accuracy = 100 * evaluate(m, *validation)[1]", "percentage"),
    ("5.1", "def fit_in_20(height, width):\n    return 20, 20", "squashed"),
    ("5.1", "def fit_in_20(height, width):\n"
            "    scale = 20 / min(height, width)\n"
            "    return round(height * scale), round(width * scale)", "shortest side"),
    ("5.1", "def fit_in_20(height, width):\n"
            "    scale = 20 / max(height, width)\n"
            "    return round(height * scale), round(width * scale)", "vanished"),
    ("5.1", "def fit_in_20(height, width):\n"
            "    scale = 20 / max(height, width)\n"
            "    return max(1, round(width * scale)), max(1, round(height * scale))", "swapped"),
    ("5.2", "def centre_of_mass(image):\n"
            "    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing='ij')\n"
            "    return (cols * image).sum() / image.sum(), (rows * image).sum() / image.sum()", "swapped"),
    ("5.2", "def centre_of_mass(image):\n"
            "    where = (image > 0).nonzero().float()\n"
            "    return where[:, 0].mean().item(), where[:, 1].mean().item()", "counts the same"),
    ("5.2", "def centre_of_mass(image):\n"
            "    index = image.argmax().item()\n"
            "    return index // 28, index % 28", "brightest pixel"),
    ("5.3", "def shift_right(images, pixels):\n    return torch.roll(images, pixels, dims=2)",
     "came back on the left"),
    ("5.3", "def shift_right(images, pixels):\n"
            "    moved = torch.zeros_like(images)\n"
            "    moved[:, :, :-pixels] = images[:, :, pixels:]\n"
            "    return moved", "moved to the left"),
    ("5.3", "def shift_right(images, pixels):\n"
            "    moved = torch.zeros_like(images)\n"
            "    moved[:, :, pixels:] = images[:, :, :-pixels]\n"
            "    return moved", "pixels=0"),
    ("5.3", "def shift_right(images, pixels):\n"
            "    moved = torch.zeros_like(images, dtype=torch.float32)\n"
            "    moved[:, :, pixels:] = images[:, :, : 28 - pixels]\n"
            "    return moved", "dtype changed"),
    ("6.1", "def output_size(size, kernel_size, padding=0, stride=1):\n    return size - kernel_size",
     "one too few"),
    ("6.1", "def output_size(size, kernel_size, padding=0, stride=1):\n"
            "    return size + padding - kernel_size + 1", "padding counted once"),
    ("6.1", "def output_size(size, kernel_size, padding=0, stride=1):\n"
            "    return size + 2 * padding - kernel_size + 1", "stride is ignored"),
    ("6.1", "def output_size(size, kernel_size, padding=0, stride=1):\n"
            "    return (size + 2 * padding - kernel_size) / stride + 1", "use `//`"),
    ("6.4", "conv_parameters = 64 * 32 * 5 * 5", "biases are missing"),
    ("6.4", "conv_parameters = 64 * 5 * 5 + 64", "32 input channels"),
    ("6.4", "conv_parameters = 64 * 32 * 5 + 64", "not 5"),
    ("6.4", "conv_parameters = 64 * 32 * 5 * 5 * 8 * 8 + 64", "every position"),
    ("6.4", "conv_parameters = 32 * 5 * 5 + 32", "first convolution"),
    ("6.2", "def convolve(image, kernel):\n"
            "    return F.conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]", "flipped"),
    ("6.2", "def convolve(image, kernel):\n"
            "    return F.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]", "padded"),
    ("6.2", "def convolve(image, kernel):\n"
            "    return F.conv2d(image[None, None], kernel.T[None, None])[0, 0]", "transposed"),
    ("6.2", "def convolve(image, kernel):\n    return image * kernel.sum()", "padded"),
    ("6.2", "def convolve(image, kernel):\n    return F.conv2d(image[None, None], kernel[None, None])[0, 0]",
     "calls conv2d itself"),
    ("6.2", "def convolve(image, kernel):\n"
            "    return torch.conv2d(image[None, None], kernel[None, None])[0, 0]",
     "calls conv2d itself"),
]

# Exercise 5.4 (top guesses from one image's logits): typical wrong answers, in their own block.
WRONG += [
    ("5.4", "def top_guesses(logits, k):\n"
            "    values, digits = logits.topk(k)\n"
            "    return [(int(d), float(v)) for d, v in zip(digits, values)]", "above 1"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    values, digits = torch.log_softmax(logits, dim=0).topk(k)\n"
            "    return [(int(d), float(v)) for d, v in zip(digits, values)]", "negative"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    values, digits = torch.softmax(logits, dim=0).sort()\n"
            "    return [(int(d), float(v)) for d, v in zip(digits[:k], values[:k])]",
     "least likely comes first"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    p = torch.softmax(logits, dim=0)\n"
            "    return [(d, float(p[d])) for d in range(k)]", "not the 3 most likely"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    values, digits = torch.sigmoid(logits).topk(k)\n"
            "    return [(int(d), float(v)) for d, v in zip(digits, values)]", "digits are right"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    values, digits = torch.softmax(logits, dim=0).topk(3)\n"
            "    return [(int(d), float(v)) for d, v in zip(digits, values)]",
     "with k=1 it returned 3 pairs"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    return torch.softmax(logits, dim=0).topk(k)", "(digit, probability) pairs"),
]


# Exercise 6.3 (max pooling by hand): its typical mistakes, in a block of their own.
WRONG += [
    ("6.3", "def max_pool(feature_map):\n    return F.avg_pool2d(feature_map[None, None], 2)[0, 0]",
     "average pooling"),
    ("6.3", "def max_pool(feature_map):\n    return F.max_pool2d(feature_map[None, None], 2, stride=1)[0, 0]",
     "blocks overlap"),
    ("6.3", "def max_pool(feature_map):\n    return F.max_pool2d(feature_map[None, None], 2)[0, 0]",
     "calls PyTorch's max pooling"),
    ("6.3", "def max_pool(feature_map):\n    return nn.MaxPool2d(2)(feature_map[None, None])[0, 0]",
     "calls PyTorch's max pooling"),
    ("6.3", "def max_pool(feature_map):\n    rows, cols = [n // 2 for n in feature_map.shape]\n"
            "    return feature_map.reshape(rows, cols, 4).amax(-1)", "4 neighbours in one row"),
    ("6.3", "def max_pool(feature_map):\n    rows, cols = [n // 2 for n in feature_map.shape]\n"
            "    return feature_map.reshape(rows, 2, cols, 2).amax(dim=(1, 3))", "fails on a (7, 9) map"),
    ("6.3", "def max_pool(feature_map):\n    return F.pad(feature_map, (0, 1, 0, 1)).unfold(0, 2, 2)"
            ".unfold(1, 2, 2).amax(dim=(2, 3))", "half-block"),
    ("6.3", "def max_pool(feature_map):\n    return feature_map.reshape(-1, 2).amax(-1)", "gave"),
]


@pytest.mark.parametrize(("key", "source", "named"), WRONG,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(WRONG)])
def test_typical_mistakes_are_refused_with_the_intended_hint(key, source, named):
    answer, inputs = answer_of(key, source)
    verdict = feedback(key, answer, **inputs)
    assert verdict.status == "wrong", str(verdict)
    assert named in verdict.message, str(verdict)
    assert "; hint: " in verdict.message
    assert not leaks(key, verdict.message), verdict.message


def test_every_check_has_at_least_two_wrong_answers_and_hints():
    counts = {key: sum(k == key for k, _, _ in [*WRONG, *WRONG_LESSON_3_PARTS]) for key in EXERCISES}
    assert min(counts.values()) >= 2, counts
    assert all(len(item.hints) >= 2 for item in EXERCISES.values())
    assert len(EXERCISES) >= 15


OTHER_RIGHT_ANSWERS = [
    ("1.4", "from torchvision import transforms\nfrom mnist_course.data import mean_and_std\n"
            "mean, std = mean_and_std(train.images)  # measured on this copy of MNIST, as the lesson does\n"
            "measured = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])\n"
            "test_loader = DataLoader(mnist_dataset('test', transform=measured), batch_size=100)"),
    ("3.3", "def predict_probabilities(model, images):\n"
            "    mode = model.training\n"
            "    with torch.inference_mode():\n"
            "        probabilities = torch.softmax(model.eval()(images), dim=1)\n"
            "    model.train(mode)\n"
            "    return probabilities"),
    ("6.1", "def output_size(size, kernel_size, padding=0, stride=1):\n"
            "    return torch.tensor((size + 2 * padding - kernel_size) // stride + 1)"),
    ("6.1", "import numpy as np\ndef output_size(size, kernel_size, padding=0, stride=1):\n"
            "    return np.int64((size + 2 * padding - kernel_size) // stride + 1)"),
    ("6.2", "def convolve(image, kernel):\n    k = len(kernel)\n"
            "    return torch.stack([torch.stack([(image[r:r + k, c:c + k] * kernel).sum()\n"
            "        for c in range(image.shape[1] - k + 1)]) for r in range(image.shape[0] - k + 1)])"),
]

# Exercise 5.4: tensors in the pairs, and a sort instead of topk, are right too.
OTHER_RIGHT_ANSWERS += [
    ("5.4", "def top_guesses(logits, k):\n"
            "    values, digits = torch.softmax(logits, dim=0).topk(k)\n"
            "    return list(zip(digits, values))"),
    ("5.4", "def top_guesses(logits, k):\n"
            "    p = logits.exp() / logits.exp().sum()\n"
            "    order = sorted(range(10), key=lambda d: -p[d].item())\n"
            "    return [(d, p[d].item()) for d in order[:k]]"),
]

OTHER_RIGHT_ANSWERS += [
    ("6.3", "def max_pool(feature_map):\n    rows, cols = [n // 2 for n in feature_map.shape]\n"
            "    return feature_map[: 2 * rows, : 2 * cols].reshape(rows, 2, cols, 2).amax(dim=(1, 3))"),
]


@pytest.mark.parametrize(("key", "source"), OTHER_RIGHT_ANSWERS)
def test_other_right_answers_are_accepted(key, source):
    answer, inputs = answer_of(key, source)
    verdict = feedback(key, answer, **inputs)
    assert verdict.status == "correct", str(verdict)


def test_a_function_that_raises_is_named_kindly():
    verdict = feedback("2.1", lambda logits: logits.nonsense())
    assert verdict.status == "wrong" and "raised AttributeError" in verdict.message


def test_check_prints_one_line_and_a_help_bar_that_hides_the_solution(capsys):
    check("2.1", ...)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("not answered yet: ")
    assert lines[1].startswith("[Hint] [Solution] buttons for exercise 2.1")
    item = EXERCISES["2.1"]
    bar = HelpBar(item)
    stored = bar._repr_mimebundle_()["text/plain"] + repr(bar)
    assert "exp()" not in stored and item.hints[0] not in stored
    assert bar.hints.outputs == () and bar.solution.outputs == ()


def test_hints_come_one_at_a_time_and_the_solution_only_on_click():
    item = EXERCISES["3.3"]
    bar = HelpBar(item)
    bar.next_hint()
    assert [out["text"] for out in bar.hints.outputs] == [f"Hint 1 of 3: {item.hints[0]}\n"]
    assert bar.solution.outputs == ()
    bar.next_hint()
    bar.next_hint()
    assert len(bar.hints.outputs) == 3 and bar.hint_button.disabled
    bar.reveal_solution()
    shown = bar.solution.outputs[0]["data"]["text/plain"]
    assert "model.eval()" in shown and bar.solution_button.disabled


@pytest.mark.parametrize(("guess", "actual", "options", "says"), [
    (..., "higher", {}, "you did not guess"),
    ("Higher ", "higher", {"choices": ("higher", "lower")}, "your guess was right"),
    ("lower", "higher", {"choices": ("higher", "lower")}, "not this time"),
    ("up", "higher", {"choices": ("higher", "lower")}, "not one of 'higher', 'lower'"),
    (True, False, {}, "not this time"),
    (0.5, 0.12, {"tolerance": 0.1}, "lower than you thought"),
    (0.2, 0.12, {"tolerance": 0.1}, "close"),
    ("half", 0.12, {"tolerance": 0.1}, "should be a number"),
])
def test_compare_guess(guess, actual, options, says):
    assert says in guess_feedback(guess, actual, **options)


def lesson_cells(path: Path) -> list:
    return [cell for cell in jupytext.read(path).cells]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_have_checked_exercises_and_no_solution_cells(path):
    cells = lesson_cells(path)
    tags = [cell.metadata.get("tags", []) for cell in cells]
    assert not any("solution" in t for t in tags)
    exercise_cells = [cell for cell, t in zip(cells, tags, strict=True) if "exercise" in t]
    assert len(exercise_cells) >= 3
    for cell in exercise_cells:
        keys = CHECK_CALL.findall(cell.source)
        assert len(keys) == 1 and keys[0] in EXERCISES, cell.source
        lesson = path.name.split("_")[0].lstrip("0")
        filed = EXERCISES[keys[0]].lesson
        assert filed == lesson, f"{keys[0]} is filed under lesson {filed} but used in {path.name}"
        assert "..." in cell.source and "# your code here" in cell.source


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_each_check_call_passes_exactly_the_inputs_its_checker_takes(path):
    """A keyword the checker does not take raises TypeError, but only once the student has answered."""
    for cell in lesson_cells(path):
        if "exercise" not in cell.metadata.get("tags", []):
            continue
        calls = [node for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Call)
                 and getattr(node.func, "id", "") == "check"]
        (call,) = calls
        item = EXERCISES[call.args[0].value]
        assert sorted(k.arg for k in call.keywords) == sorted(item.inputs), f"{path.name}: {cell.source}"
        assert [getattr(k.value, "id", None) for k in call.keywords] == [k.arg for k in call.keywords]


def test_every_exercise_appears_in_its_lesson_once_and_predict_first_cells_are_compared():
    sources = {path.name: [cell.source for cell in lesson_cells(path)] for path in LESSONS}
    used = [key for cells in sources.values() for source in cells for key in CHECK_CALL.findall(source)]
    assert sorted(used) == sorted(EXERCISES)
    for name in ("03a_", "03b_", "04_", "05_"):
        cells = next(c for n, c in sources.items() if n.startswith(name))
        predicts = [i for i, source in enumerate(cells) if source.startswith("my_guess = ...")]
        assert predicts, name
        for i in predicts:
            assert any("compare_guess(my_guess" in source for source in cells[i + 1:]), name


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_shipped_exercise_cells_run_and_say_not_answered_yet(path, capsys):
    from mnist_course.models import MLP

    for cell in lesson_cells(path):
        if "exercise" not in cell.metadata.get("tags", []):
            continue
        key = CHECK_CALL.findall(cell.source)[0]
        namespace = {**EXERCISES[key].namespace(), "check": check, "MLP": MLP}
        exec(cell.source, namespace)
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("not answered yet: "), (key, out)
        assert out[1].startswith(f"[Hint] [Solution] buttons for exercise {key}")
        assert EXERCISES[key].solution.strip() not in "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Lessons 3a and 3b's added exercises (3.5-3.8, issue 18): typical wrong answers. A self-contained block.

_LAYERS = "nn.Linear(784, 250), {0}, nn.Linear(250, 200), {0}, nn.Linear(200, 10)"
_COUNT = '''
def count_mistakes(model, loader, device):
    {mode}
    mistakes = 0
    with {grad}:
        for images, labels in loader:
            wrong = (model(images.to(device)).argmax(dim=1) {compare} labels.to(device)).sum()
            mistakes += wrong{item}
            {early}
    return mistakes
'''


def _count(mode="model.eval()", grad="torch.no_grad()", compare="!=", item=".item()", early="pass"):
    return _COUNT.format(mode=mode, grad=grad, compare=compare, item=item, early=early)


WRONG_LESSON_3_PARTS = [
    ("3.4", f"fixed = nn.Sequential(nn.Flatten(), {_LAYERS.format('nn.Sigmoid()')}, nn.Softmax(dim=1))",
     "ends in a softmax"),
    ("3.4", f"fixed = nn.Sequential(nn.Flatten(), {_LAYERS.format('nn.ReLU()')}, nn.Softmax(dim=1))",
     "ends in a softmax"),
    ("3.4", f"fixed = nn.Sequential(nn.Flatten(), {_LAYERS.format('nn.ReLU()')}, nn.LogSoftmax(dim=1))",
     "redundant"),
    ("3.4", f"fixed = nn.Sequential(nn.Flatten(), {_LAYERS.format('nn.Sigmoid()')})", "saturates"),
    ("3.4", f"fixed = nn.Sequential(nn.Flatten(), {_LAYERS.format('nn.Identity()')})", "nothing non-linear"),
    ("3.4", "fixed = nn.Sequential(nn.Flatten(), nn.Linear(784, 250), nn.ReLU(), nn.Linear(250, 200), "
            "nn.Linear(200, 10))", "after hidden layer 2"),
    ("3.4", f"fixed = nn.Sequential({_LAYERS.format('nn.ReLU()')})", "flatten"),
    ("3.4", f"fixed = nn.Sequential(nn.Flatten(), {_LAYERS.format('nn.ReLU()')}, nn.ReLU())",
     "after the output layer"),
    ("3.4", "fixed = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 256), "
            "nn.ReLU(), nn.Linear(256, 10))", "the Linear layers are"),
    ("3.6", "images_per_epoch = len(train_dataset)", "smaller batch is dropped"),
    ("3.6", "images_per_epoch = len(train_dataset) // 64", "number of batches"),
    ("3.6", "images_per_epoch = len(train_dataset) / 64", "number of batches"),
    ("3.6", "images_per_epoch = -(-len(train_dataset) // 64) * 64", "more images"),
    ("3.7", _count(mode="pass"), "dropout is on"),
    ("3.7", _count(grad="torch.enable_grad()"), "gradients recorded"),
    ("3.7", _count(compare="=="), "right answers"),
    ("3.7", _count(item=""), "returns a tensor"),
    ("3.7", _count(early="return mistakes"), "only one batch"),
    ("3.8", "most_common_mistake = (4, 4)", "right answer"),
    ("3.8", "most_common_mistake = (9, 4)", "swapped"),
    ("3.8", "most_common_mistake = (7, 2)", "not the most"),
    ("3.8", "most_common_mistake = 4", "two digits"),
]


@pytest.mark.parametrize("key, source, says", WRONG_LESSON_3_PARTS)
def test_lesson_3_parts_name_typical_mistakes(key, source, says):
    answer, inputs = answer_of(key, source)
    verdict = feedback(key, answer, **inputs)
    assert verdict.status == "wrong", (source, str(verdict))
    assert says.lower() in str(verdict).lower(), (source, str(verdict))
    assert "; hint: " in verdict.message
    assert EXERCISES[key].solution.strip() not in verdict.message


def test_4_4_solution_is_correct_for_a_checkpoint_whose_recipe_deskews(tmp_path, train_split, test_split):
    """Lesson 4's final model deskews its inputs (its recipe says so): the check must measure the way
    `evaluate` does, or it refuses its own solution in the real lesson.
    """
    import torch

    from mnist_course.checkpoints import load_checkpoint, save_checkpoint
    from mnist_course.data import to_float_images
    from mnist_course.evaluation import evaluate
    from mnist_course.recipe import train_final_model

    train = (train_split.images[:-1000], train_split.labels[:-1000])
    validation = (train_split.images[-1000:], train_split.labels[-1000:])
    model, _ = train_final_model(train, subset=512, epochs=1, progress=False, device="cpu")
    assert model.recipe["preprocess"].get("deskew")
    save_checkpoint(tmp_path / "epoch_01.pt", model)
    inputs = {"final_folder": tmp_path, "validation": validation, "train": train, "test": test_split}
    namespace = {**inputs, "load_checkpoint": load_checkpoint, "evaluate": evaluate}
    exec(EXERCISES["4.4"].solution, namespace)
    verdict = feedback("4.4", namespace["epoch_1_accuracy"], **inputs)
    assert verdict.status == "correct", str(verdict)
    with torch.no_grad():  # normalised only, not deskewed: a different number, so the recipe matters here
        plain = (model.eval()(to_float_images(validation[0])).argmax(dim=1) == validation[1]).float().mean()
    assert abs(plain.item() - namespace["epoch_1_accuracy"]) > 1e-4
