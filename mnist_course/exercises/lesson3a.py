"""Lesson 3a's exercises: counting parameters, XOR without ReLU, eval-mode predictions, the fixed network."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import Stop, as_float, call, correct, exercise, mistake, mnist, need


def lesson_namespace() -> dict:
    """The names lessons 3a and 3b import, for running a solution outside its lesson (CI)."""
    from ..models import MLP

    return {"torch": torch, "nn": nn, "F": F, "MLP": MLP}

@exercise("3.1", "the number of parameters of 784-250-200-10, by hand", answer="by_hand",
          namespace=lesson_namespace, hints=(
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


@exercise("3.2", "the XOR network without its ReLU", answer="no_relu", namespace=lesson_namespace, hints=(
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
          answer="predict_probabilities", kind="function", namespace=lesson_namespace, hints=(
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




_ACTIVATIONS = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.GELU, nn.LeakyReLU, nn.SiLU, nn.ELU)


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not list(m.children())]


@exercise("3.4", "the tutorial's sigmoid-and-softmax network, fixed", answer="fixed",
          namespace=lesson_namespace, hints=(
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
