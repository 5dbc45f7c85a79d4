"""Lesson 2's exercises: softmax, accuracy per digit, one training step by hand, zero weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import Stop, Verdict, as_float, call, correct, exercise, mistake, mnist, need


def _namespace() -> dict:
    return {"torch": torch, "F": F, "train": mnist("train"), "test": mnist("test")}


def _real_logits() -> torch.Tensor:
    """Logits of a random linear model on 64 normalised test images: (64, 10)."""
    from ..data import to_float_images

    images = to_float_images(mnist("test").images[:64]).view(64, -1)
    weights = torch.randn(784, 10, generator=torch.Generator().manual_seed(0)) / 784**0.5
    return 3 * images @ weights


@exercise("2.1", "softmax for a batch of logits", answer="softmax", namespace=_namespace, kind="function",
          hints=(
    "Softmax of one row: `exp` of each logit, divided by the sum of those exps over the row.",
    "Sum over each image's row with `.sum(dim=1, keepdim=True)`: the shape (N, 1) divides every row.",
    "Softmax only cares about the differences within a row: subtract the row's largest logit "
    "first, so that `exp` never sees a huge number.",
), solution="""
def softmax(logits):
    shifted = logits - logits.max(dim=1, keepdim=True).values  # (N, C), the largest logit is 0
    return shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)  # (N, C) / (N, 1)
""")
def check_softmax(answer) -> object:
    tiny = torch.tensor([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])  # (2, 3): the lesson's example, and a tie
    try:
        out = call(answer, tiny.clone(), name="softmax")
    except Stop as stop:
        if "must match the size" in stop.verdict.message:
            raise Stop(mistake("the row sums do not line up with the rows",
                               "sum with `keepdim=True`, so the sums have shape (N, 1)")) from None
        raise
    need(torch.is_tensor(out) and out.shape == tiny.shape, "softmax should return a tensor shaped like "
         f"its input (N, C); for (2, 3) it gave {tuple(out.shape) if torch.is_tensor(out) else type(out)}",
         "keep one probability per logit")
    need(not torch.allclose(out, torch.log_softmax(tiny, dim=1), atol=1e-4),
         "these are log-probabilities (log-softmax)", "probabilities are `exp` of them: between 0 and 1")
    need(bool((out >= 0).all()), "some 'probabilities' are negative", "take `exp` of the logits first")
    need(not torch.allclose(out.sum(), torch.tensor(1.0)) or torch.allclose(out.sum(dim=1), torch.ones(2)),
         "all the probabilities of the batch together sum to 1, not each image's",
         "sum over each row: `dim=1, keepdim=True`")
    need(not torch.allclose(out.sum(dim=0), torch.ones(3)), "each column sums to 1, not each row",
         "normalise over the classes of one image (dim=1), not over the images (dim=0)")
    need(torch.allclose(out.sum(dim=1), torch.ones(2), atol=1e-5),
         "the probabilities of a row do not sum to 1",
         "divide by the sum of the row's exps")
    need(torch.allclose(out, torch.softmax(tiny, dim=1), atol=1e-5), "the rows sum to 1, but the values "
         "are not softmax's (for the tiny example they should be 0.659, 0.242, 0.099)",
         "use `exp` of every logit, then divide")
    logits = _real_logits()
    out = call(answer, logits.clone(), name="softmax")
    need(torch.allclose(out, torch.softmax(logits, dim=1), atol=1e-5), "right on the tiny example, "
         "wrong on 64 MNIST images", "make it work for any number of rows and columns")
    huge = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]])
    out = call(answer, huge.clone(), name="softmax")
    need(bool(torch.isfinite(out).all()), "nan or inf for large logits such as 1000: exp(1000) overflows",
         "subtract each row's largest logit before `exp`; softmax only cares about differences")
    need(torch.allclose(out, torch.softmax(huge, dim=1), atol=1e-5), "wrong for large logits",
         "subtract each row's own largest logit")
    return correct("every row sums to 1, even for huge logits: what `torch.softmax(logits, dim=1)` computes")


def _predictions() -> tuple[torch.Tensor, torch.Tensor]:
    """Real test labels, and answers that are wrong more often for larger digits."""
    labels = mnist("test").labels
    generator = torch.Generator().manual_seed(0)
    wrong = torch.rand(len(labels), generator=generator) < torch.linspace(0.02, 0.4, 10)[labels]
    return torch.where(wrong, (labels + 3) % 10, labels), labels


@exercise("2.4", "the accuracy for each digit", answer="accuracy_per_digit", kind="function",
          namespace=lambda: {**_namespace(), "predictions": _predictions()[0]}, hints=(
    "For one digit d: look only at the images whose true label is d.",
    "Among those, the fraction of predictions that are right is d's accuracy (a mean of True/False, "
    "as in 1.3). Then the same for the other nine digits.",
), solution="""
def accuracy_per_digit(predictions, labels):
    return torch.tensor([(predictions[labels == d] == d).float().mean().item() for d in range(10)])
""")
def check_accuracy_per_digit(answer) -> object:
    predictions, labels = _predictions()
    out = call(answer, predictions.clone(), labels.clone(), name="accuracy_per_digit")
    out = torch.as_tensor(out, dtype=torch.float32).flatten()
    need(len(out) == 10, f"{len(out)} numbers instead of 10", "one accuracy per digit 0..9")
    expected = torch.tensor([(predictions[labels == d] == d).float().mean() for d in range(10)])
    if torch.allclose(out, expected, atol=1e-4):
        return correct("one number per digit: the overall accuracy hides which digits are hard")
    overall = (predictions == labels).float().mean()
    need(not torch.allclose(out, overall.expand(10), atol=1e-4), "every digit gets the overall accuracy",
         "select the images of one digit with `labels == d` first")
    precision = torch.tensor([(labels[predictions == d] == d).float().mean() for d in range(10)])
    need(not torch.allclose(out, precision, atol=1e-4), "this is how often the model is right when it "
         "*answers* d", "select by the true label (`labels == d`), not by the prediction")
    counts = torch.tensor([(predictions[labels == d] == d).sum() for d in range(10)]).float()
    need(not torch.allclose(out, counts), "counts of right answers, not fractions",
         "divide by how many images of that digit there are (or use `.float().mean()`)")
    need(not torch.allclose(out, counts / len(labels), atol=1e-4), "divided by all the images, not by the "
         "images of that digit", "take the mean over the images with `labels == d` only")
    return mistake("these are not the accuracies per digit",
                   "for each digit, count only the images whose true label is that digit")


def _step_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from ..data import to_float_images

    train = mnist("train")
    images = to_float_images(train.images[:64])  # (64, 1, 28, 28)
    weights = torch.randn(784, 10, generator=torch.Generator().manual_seed(1)) / 784**0.5
    return images, train.labels[:64], weights, torch.zeros(10)


def _reference_step(images, labels, weights, bias, lr) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The weights and bias after one SGD step, and the loss before it."""
    weights, bias = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)
    loss.backward()
    return (weights - lr * weights.grad).detach(), (bias - lr * bias.grad).detach(), loss.item()


@exercise("2.2", "one training step by hand", answer="train_step", kind="function", namespace=_namespace,
          hints=(
    "The lesson's training by hand does this step: the hand model's loss on the flattened images, "
    "then the gradients with `backward()`.",
    "Step downhill with recording switched off (the lesson's `no_grad` block), changing `weights` and "
    "`bias` in place (`-=`).",
    "`backward()` adds to `.grad`: leave both gradients at zero for the next step, and return the loss "
    "as a plain Python number.",
), solution="""
def train_step(images, labels, weights, bias, lr):
    loss = F.cross_entropy(images.view(len(images), -1) @ weights + bias, labels)
    loss.backward()
    with torch.no_grad():
        weights -= lr * weights.grad
        bias -= lr * bias.grad
        weights.grad.zero_()
        bias.grad.zero_()
    return loss.item()
""")
def check_train_step(answer) -> object:
    images, labels, start_w, start_b = _step_inputs()
    for lr in (0.1, 0.5):
        weights, bias = start_w.clone().requires_grad_(), start_b.clone().requires_grad_()
        expected = _reference_step(images, labels, start_w, start_b, lr)
        try:
            loss = call(answer, images, labels, weights, bias, lr, name="train_step")
        except Stop as stop:
            if "leaf Variable" in stop.verdict.message:
                raise Stop(mistake("forgot `torch.no_grad()` around the step",
                                   "PyTorch refuses to change weights in place while it records")) from None
            raise
        need(not (torch.is_tensor(loss) and loss.requires_grad), "returned the loss tensor, which keeps "
             "the whole graph of the step alive", "return a plain Python number: `.item()` gives it")
        value = as_float(loss, "the returned loss")
        need(abs(value - expected[2]) < 1e-4, f"it returned {value:g}, but this batch's loss before the step "
             f"is {expected[2]:.4f}", "return the loss that you called `backward()` on, as a Python number")
        need(not torch.equal(weights.detach(), start_w), "the weights did not change",
             "change them in place (`weights -= ...`) after `backward()`; "
             "`weights = weights - ...` makes a new tensor that the caller never sees")
        moved = (weights.detach() - start_w).flatten()
        need(float(moved @ (expected[0] - start_w).flatten()) > 0, "the step goes uphill",
             "subtract lr times the gradient")
        need(torch.allclose(weights.detach(), expected[0], atol=1e-6) and torch.allclose(
             bias.detach(), expected[1], atol=1e-6), f"the step is not `lr * gradient` for lr={lr}",
             "use the `lr` argument, and update both `weights` and `bias`")
    second = _reference_step(images, labels, weights.detach(), bias.detach(), 0.5)
    call(answer, images, labels, weights, bias, 0.5, name="train_step")
    need(torch.allclose(weights.detach(), second[0], atol=1e-6), "the second step is wrong: the gradients "
         "of the first step are still in `.grad`", "zero both gradients: `backward()` adds to `.grad`")
    return correct("loss, backward, a step inside no_grad, zeroed gradients: every training loop does this")


@exercise("2.3", "zero starting weights and bias", answer="start_weights", inputs=("start_bias",),
          namespace=_namespace, hints=(
    "`torch.zeros(rows, columns)` makes a tensor full of zeros; the hand model computes `x @ weights`.",
    "PyTorch computes gradients only for tensors that ask for them from the start: look at how the "
    "lesson made its `bias`.",
), solution="""
start_weights = torch.zeros(784, 10, requires_grad=True)  # (784, 10): one column per digit
start_bias = torch.zeros(10, requires_grad=True)  # (10,)
""")
def check_zero_start(answer, start_bias=None) -> object:
    for name, tensor, shape in (("start_weights", answer, (784, 10)), ("start_bias", start_bias, (10,))):
        if tensor is Ellipsis or tensor is None:
            raise Stop(Verdict("blank", f"{name} is still ...: write it too"))
        need(torch.is_tensor(tensor), f"{name} should be a tensor", "use `torch.zeros`")
        need(not (shape == (784, 10) and tuple(tensor.shape) == (10, 784)), f"{name} is (10, 784), "
             "nn.Linear's layout", "the hand model computes `x @ weights`: (784, 10)")
        need(tuple(tensor.shape) == shape, f"{name} has shape {tuple(tensor.shape)}", f"it needs {shape}")
        need(tensor.is_floating_point(), f"{name} holds whole numbers ({tensor.dtype})",
             "gradients need floats: the default dtype of `torch.zeros` is right")
        need(not bool(tensor.detach().any()), f"{name} is not all zeros", "start from `torch.zeros`")
        need(tensor.requires_grad, f"PyTorch will not compute gradients for {name}",
             "add `requires_grad=True`")
        need(tensor.is_leaf, f"{name} is the result of a computation, so its `.grad` stays None",
             "create it with `requires_grad=True` directly")
    return correct("a clean start: trained from zeros, the weight images have no random speckles")
