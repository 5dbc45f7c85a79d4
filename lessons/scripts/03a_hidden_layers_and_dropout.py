# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 3a: Hidden layers, activations and dropout
#
# *About 40 minutes. Lesson 3 comes in two parts: this one builds the networks, part 3b
# trains them.*
#
# The single-layer model of lesson 2 reads about 9 digits out of 10. In this lesson we
# give it **hidden layers**: layers between the pixels and the 10 scores, each followed
# by an **activation function**. Such a network is called a **multi-layer perceptron
# (MLP)**. In lesson 3b it will read more than 95 digits out of 100.
#
# **What you will learn**
#
# - why stacking linear layers without an activation gains nothing, and what a straight
#   line cannot separate (the XOR problem)
# - the MLPs of the classic PyTorch MNIST tutorials, layer by layer (`Linear`, `ReLU`,
#   `Dropout`), and how many numbers they learn
# - what dropout does, why it needs `model.train()` and `model.eval()`, and `torch.no_grad()`
# - why ReLU passes gradients back better than sigmoid
# - what `CrossEntropyLoss` expects, and the softmax mistake that flattens the gradients

# %% [markdown]
# ## Setup
#
# One call does what every lesson needs first: it seeds the random numbers, sets the
# figure style and the CPU threads, picks the device (a GPU when there is one) and says
# what it chose. Its code is in `mnist_course/env.py`.

# %% tags=["nbval-ignore-output", "volatile"]
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from mnist_course.data import load_mnist, to_float_images
from mnist_course.env import set_seed, setup
from mnist_course.exercises import check, compare_guess
from mnist_course.models import MLP, count_parameters

device = setup()

# %% [markdown]
# ## 1. Two linear layers are still one linear layer
#
# The obvious way to make lesson 2's model bigger is to put two linear layers one after
# the other: 784 pixels -> 128 numbers -> 10 scores. The 128 numbers in the middle are
# called a **hidden layer**, because we never see them: they are neither the input nor
# the output.
#
# Without anything in between, this gains nothing. Each layer computes
# `x @ W.T + b`, so two of them compute
#
# > (x @ W1.T + b1) @ W2.T + b2 = x @ (W2 @ W1).T + (b2 + b1 @ W2.T)
#
# which is again *one* linear layer, with the weight `W2 @ W1` and the bias
# `b2 + b1 @ W2.T`. We check it with real layers: a single `nn.Linear(784, 10)` gets the
# combined weight and bias, and both models get the same 64 random "images".
# `torch.allclose` says whether two tensors are equal up to tiny rounding differences.

# %%
layer1 = nn.Linear(784, 128)  # weight (128, 784), bias (128,)
layer2 = nn.Linear(128, 10)  # weight (10, 128), bias (10,)
two_layers = nn.Sequential(nn.Flatten(), layer1, layer2)  # Flatten: (N, 1, 28, 28) -> (N, 784)
one_layer = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
with torch.no_grad():  # we set weights by hand: nothing to record for backward()
    one_layer[1].weight.copy_(layer2.weight @ layer1.weight)  # (10, 128) @ (128, 784) -> (10, 784)
    one_layer[1].bias.copy_(layer2.bias + layer1.bias @ layer2.weight.T)  # (10,)
    x = torch.randn(64, 1, 28, 28)
    print("same outputs:", torch.allclose(two_layers(x), one_layer(x), atol=1e-5))

# %% [markdown]
# However many linear layers we stack, the result is one linear layer: the same kind of
# model as in lesson 2, only slower. The fix is to put a **non-linear** function, the
# **activation**, after each hidden layer. The most common one is **ReLU**
# (rectified linear unit): `relu(x) = max(x, 0)`. It keeps positive numbers and turns
# negative ones into 0. Section 3 shows what that small bend buys.

# %% [markdown]
# ## 2. The MLPs of the classic tutorials
#
# The beginner tutorials this course grew from train three MLPs on MNIST. Written
# `784-128-256-10`, the numbers are the sizes of the layers: 784 pixels in, hidden layers
# of 128 and 256 units, 10 scores out.
#
# | network | hidden layers | dropout |
# | --- | --- | --- |
# | 784-128-256-10 | 128, 256 | 0.5 after each hidden layer |
# | 784-250-200-10 | 250, 200 | none |
# | 784-500-256-10 | 500, 256 | none |
#
# Here is the first one as an `nn.Sequential`, which applies its layers one after the
# other. `Dropout` is section 4's topic. There is no softmax at the end: as in lesson 2,
# the model outputs raw logits and the loss applies the softmax (section 6 shows what
# goes wrong otherwise).

# %%
set_seed(0)
model = nn.Sequential(
    nn.Flatten(),  # (N, 1, 28, 28) -> (N, 784)
    nn.Linear(784, 128),  # hidden layer 1
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(128, 256),  # hidden layer 2
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(256, 10),  # output layer: 10 logits
).to(device)
print(model)

# %% [markdown]
# The course package builds the same network in one line,
# `MLP(hidden=(128, 256), dropout=0.5)`, from `mnist_course/models.py`:

# %%
print(MLP(hidden=(128, 256), dropout=0.5))

# %% [markdown]
# How many numbers does a network learn? Every `Linear(a, b)` has `a * b` weights and
# `b` biases. For 784-128-256-10 that is 784 x 128 + 128 = 100,480, then
# 128 x 256 + 256 = 33,024, then 256 x 10 + 10 = 2,570: 136,074 in all.
# `count_parameters` adds them up for us. Lesson 2's model had 7,850.

# %%
print(f"784-128-256-10: {count_parameters(model):,} parameters")
print(f"784-500-256-10: {count_parameters(MLP(hidden=(500, 256))):,} parameters")

# %% [markdown]
# **Exercise 3.1.** Work out by hand how many numbers the network 784-250-200-10 learns
# (weights and biases), as we just did for 784-128-256-10. Write it as a calculation in
# `by_hand`. The check says at once whether it is right, or which mistake it sees;
# **Hint** shows one hint at a time, **Solution** a solution, only when you click it.

# %% tags=["exercise"]
by_hand = ...  # your code here
check("3.1", by_hand)

# %% [markdown]
# ## 3. What a straight line cannot do: XOR
#
# A linear model gives each class a score that is a weighted sum of the inputs, so the
# border between two classes is a straight line (with 784 inputs, a flat "hyperplane").
# Some problems cannot be solved with a straight border. The classic example is **XOR**
# ("exclusive or"): four points in a plane, class 1 when exactly one of the two
# coordinates is 1.

# %%
points = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)
targets = torch.tensor([0, 1, 1, 0])  # XOR of the two coordinates
print("points:", points.shape, " targets:", targets.tolist())

# %% [markdown]
# Try to draw one straight line with both blue points on one side and both orange points
# on the other. It cannot be done. The blue diagonal and the orange diagonal (dotted)
# cross at (0.5, 0.5): a straight border with both blue points on its blue side has the
# middle of their diagonal there too, and likewise for orange, so the middle would have
# to be on both sides at once. The two classes are **linearly inseparable**.

# %%
fig, ax = plt.subplots(figsize=(4, 4))
for target, color in ((0, "tab:blue"), (1, "tab:orange")):
    chosen = points[targets == target]
    ax.scatter(chosen[:, 0], chosen[:, 1], s=200, color=color, label=f"class {target}")
ax.plot([0, 1], [0, 1], ":", color="tab:blue")  # the blue diagonal
ax.plot([0, 1], [1, 0], ":", color="tab:orange")  # the orange diagonal
ax.set_xlabel("first input")
ax.set_ylabel("second input")
ax.set_title("XOR: no straight line separates the classes")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # outside, so the crossing stays visible
plt.show()

# %% [markdown]
# We train a linear model on the four points for 300 steps, with lesson 2's SGD plus
# **momentum** (lesson 3b explains it). The best a straight border can do is a 50/50
# guess for every point: a loss of -log(1/2) = log(2) = 0.693.

# %%
def train_on_xor(model, steps=300):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        loss = F.cross_entropy(model(points), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


print(f"linear model, loss after 300 steps: {train_on_xor(nn.Linear(2, 2)):.3f}")

# %% [markdown]
# Now a tiny MLP: 2 inputs -> 8 hidden units with ReLU -> 2 scores, in the same 300
# steps:

# %%
set_seed(0)
xor_mlp = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
print(f"MLP, loss after 300 steps: {train_on_xor(xor_mlp):.3f}")
with torch.no_grad():
    print("MLP answers:", xor_mlp(points).argmax(dim=1).tolist(), " targets:", targets.tolist())

# %% [markdown]
# It learns XOR perfectly. How? Each ReLU unit bends the plane along one line; together,
# the hidden units build a border made of several straight pieces. The picture colours
# every point of the plane by the class the MLP gives it: the border is not a straight
# line. Digits are the same story in 784 dimensions.

# %%
grid = torch.linspace(-0.5, 1.5, 101)
grid_x, grid_y = torch.meshgrid(grid, grid, indexing="xy")  # (101, 101) each
grid_points = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1)  # (10201, 2)
with torch.no_grad():
    grid_classes = xor_mlp(grid_points).argmax(dim=1).reshape(101, 101)
fig, ax = plt.subplots(figsize=(4, 4))
ax.contourf(grid_x, grid_y, grid_classes, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
ax.scatter(points[:, 0], points[:, 1], s=200, c=["tab:blue", "tab:orange", "tab:orange", "tab:blue"])
ax.set_xlabel("first input")
ax.set_ylabel("second input")
ax.set_title("The MLP's two regions (blue: class 0, orange: class 1)")
plt.show()

# %% [markdown]
# **Exercise 3.2.** Build `no_relu`: the XOR network above without its `nn.ReLU()`.
# The check trains it with the same 300 steps. Can it still learn XOR? The check's
# answer says why.

# %% tags=["exercise"]
no_relu = ...  # your code here
check("3.2", no_relu)

# %% [markdown]
# ## 4. Dropout, and why it needs `train()` and `eval()`
#
# Our first network has two `Dropout(0.5)` layers. Layers like these behave differently
# in the two **modes** every PyTorch module has: `model.train()` (training mode) and
# `model.eval()` (evaluation mode). A new model starts in training mode.
#
# **Predict first.** We give the network the same image twice in training mode. Will
# the two outputs be exactly the same? Write your guess, `True` or `False`, before you run
# the experiment.

# %% tags=["predict"]
my_guess = ...  # True or False

# %%
image = torch.randn(1, 1, 28, 28, device=device)
model.train()
same_in_train_mode = torch.equal(model(image), model(image))
print("train mode, same output twice:", same_in_train_mode)
model.eval()
print("eval mode, same output twice: ", torch.equal(model(image), model(image)))

# %% [markdown]
# How did your guess do?

# %%
compare_guess(my_guess, same_in_train_mode)

# %% [markdown]
# Why? A big network can **memorise** its training images instead of learning what
# digits look like in general: it then does well on them and worse on new images
# (**overfitting**). **Dropout** is a simple remedy: in training mode, every time a batch
# goes through, each hidden unit is switched off (set to 0) with probability `p`. The
# network cannot rely on any single unit, so it learns several ways to recognise each
# digit. Which units are dropped is random, so two passes differ.
#
# To keep the average the same, `nn.Dropout` multiplies the units it keeps by
# 1 / (1 - p), here 1 / 0.5 = 2. On a row of twenty ones:

# %%
dropout = nn.Dropout(p=0.5)  # a new module: in training mode
dropped = dropout(torch.ones(1, 20))
print(dropped)
print("values:", sorted(set(dropped.flatten().tolist())))

# %% [markdown]
# When we *use* the network, to test it or to read a digit, we want all units and the
# same answer every time: `model.eval()` turns dropout off, `model.train()` on again. A
# forgotten `model.eval()` gives noisy, too-pessimistic test results; a forgotten
# `model.train()` silently trains without dropout.
#
# > **A bug we fixed: "`eval()` makes the weights read-only".** One tutorial explains
# > `model.eval()` that way. It does not: `eval()` only sets a flag, `model.training`,
# > which layers such as `Dropout` read. The weights still record gradients. What stops
# > the recording is `with torch.no_grad():`, which tells PyTorch not to remember the
# > computations for `backward()`: faster, and less memory, when we only measure.

# %%
print("model.training:", model.training)
print("weights that record gradients:", sum(p.requires_grad for p in model.parameters()),
      "of", len(list(model.parameters())))
with torch.no_grad():
    output = model(image)  # (1, 10)
print("output inside no_grad records a graph:", output.requires_grad)

# %% [markdown]
# **Exercise 3.3.** Write `predict_probabilities(model, images)`: it returns the model's
# probabilities for a batch of normalised images, shape `(N, 10)`, each row summing to 1.
# It must give the same answer every time for the same images, even for a model with
# dropout that was left in training mode, must not record anything for `backward()`, and
# must leave the model in the mode it came in.

# %% tags=["exercise"]
def predict_probabilities(model, images):
    ...  # your code here


check("3.3", predict_probabilities)

# %% [markdown]
# ## 5. ReLU against sigmoid: how gradients flow back
#
# Early neural networks used the **sigmoid** activation, `1 / (1 + exp(-x))`, which
# squashes every number into the range 0..1. Today ReLU is the default. Why? Look at the
# **slope** (the derivative) of each function. During `backward()`, the gradient that
# reaches a layer is multiplied by the slope of every activation it passes through.
# Autograd (PyTorch's automatic gradients, what `backward()` uses) computes the slopes
# for us: `torch.autograd.grad(f(x).sum(), x)` gives the slope of `f` at every point of
# `x`.

# %%
x = torch.linspace(-6, 6, 200, requires_grad=True)
sigmoid_slope = torch.autograd.grad(torch.sigmoid(x).sum(), x)[0]
relu_slope = torch.autograd.grad(torch.relu(x).sum(), x)[0]
print("largest sigmoid slope:", round(sigmoid_slope.max().item(), 2))
print("ReLU slopes:", sorted(set(relu_slope.tolist())))

# %% [markdown]
# The sigmoid's slope is at most 0.25, and almost 0 once its input is far from 0 (the
# unit is "saturated"). ReLU's slope is exactly 1 for every positive input (and 0 for
# negative ones), so there the gradient passes through unchanged.

# %%
fig, (ax_functions, ax_slopes) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_functions.plot(x.detach(), torch.sigmoid(x).detach(), label="sigmoid")
ax_functions.plot(x.detach(), torch.relu(x).detach(), label="ReLU")
ax_functions.set_ylim(-0.5, 3)
ax_functions.set_title("Activation functions")
ax_slopes.plot(x.detach(), sigmoid_slope, label="sigmoid")
ax_slopes.plot(x.detach(), relu_slope, label="ReLU")
ax_slopes.set_title("Their slopes (derivatives)")
for ax in (ax_functions, ax_slopes):
    ax.set_xlabel("input")
    ax.legend()
ax_functions.set_ylabel("output")
ax_slopes.set_ylabel("slope")
plt.show()

# %% [markdown]
# On its way back, the gradient is also multiplied by the weights of the next layer,
# which can make it larger or smaller, so we measure. We build 784-128-256-10 with each
# activation (the same starting weights), compute the loss on 64 training images
# (normalised with `to_float_images`, as in lesson 2), and measure the size (the norm:
# the square root of the sum of the squares) of the gradient of each `Linear` layer's
# weights, first layer to last:

# %%
def gradient_norms(model, images, labels):
    F.cross_entropy(model(images), labels).backward()
    return [layer.weight.grad.norm().item() for layer in model.modules() if isinstance(layer, nn.Linear)]


train = load_mnist("train")
batch_images = to_float_images(train.images[:64]).to(device)  # (64, 1, 28, 28)
batch_labels = train.labels[:64].to(device)  # (64,)
norms = {}
for activation in ("relu", "sigmoid"):
    set_seed(0)
    network = MLP(hidden=(128, 256), activation=activation).to(device)
    norms[activation] = gradient_norms(network, batch_images, batch_labels)

# %% [markdown]
# The numbers depend on the batch:

# %% tags=["nbval-ignore-output", "volatile"]
for activation, layer_norms in norms.items():
    print(f"{activation:7} gradient norm of layers 1, 2, 3:", [round(norm, 3) for norm in layer_norms])

# %% [markdown]
# In the sigmoid network the gradient does shrink on its way back: its first layer gets
# a gradient several times smaller than its last, and several times smaller than the
# first layer of the ReLU network. Its first layer learns slowly: the **vanishing
# gradient** problem, which can get worse with every extra layer. Lesson 3b races the two
# networks to see what that costs in training.

# %% [markdown]
# ## 6. What `CrossEntropyLoss` expects: raw logits
#
# Some of the tutorials end their model with a softmax, or a log-softmax, and then use
# `nn.CrossEntropyLoss`, which already applies log-softmax to the raw logits (lesson 2).
# What happens if the model has done it already? We try three endings on one image whose
# true digit is 0, for which the model is very sure it is a 0 (logit 10 for digit 0,
# logit 0 for the other nine):

# %%
label = torch.tensor([0])  # the true digit
sure_and_right = torch.tensor([[10.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])  # (1, 10) logits
endings = {
    "raw logits (correct)": lambda logits: logits,
    "log_softmax first": lambda logits: F.log_softmax(logits, dim=1),
    "softmax first": lambda logits: F.softmax(logits, dim=1),
}
for name, ending in endings.items():
    print(f"{name:21} loss {F.cross_entropy(ending(sure_and_right), label).item():.4f}")

# %% [markdown]
# **`log_softmax` first gives exactly the same loss.** Log-softmax computes
# `z - log(sum(exp(z)))`. When `z` already holds log-probabilities, the `exp(z)` are
# probabilities, which add up to 1, and log(1) = 0: the second log-softmax subtracts 0.
# Applying it twice is the same as once:

# %%
once = F.log_softmax(sure_and_right, dim=1)
print("log_softmax twice == once:", torch.allclose(F.log_softmax(once, dim=1), once))

# %% [markdown]
# So with `log_softmax` first, the loss, its gradients and the training are identical:
# redundant and misleading, but not harmful. (A model that ends in `log_softmax` should
# be paired with `nn.NLLLoss`, lesson 2's NLL step alone.)
#
# **`softmax` first is the real bug: softmax is applied twice.** The loss now receives
# probabilities between 0 and 1 as if they were logits. Logits that differ by at most 1
# can never make a confident prediction: the second softmax gives the right digit at most
# e / (e + 9) = 0.23, so even this perfect answer gets a loss of -log(0.23) = 1.46
# instead of almost 0. Worse is what happens to the gradients. Here the model is very sure
# of the *wrong* digit, 1; we look at the gradient on the logit of the right digit, 0,
# the push that should correct the mistake:

# %%
sure_and_wrong = torch.tensor([[0.0, 10, 0, 0, 0, 0, 0, 0, 0, 0]], requires_grad=True)
for name, ending in endings.items():
    loss = F.cross_entropy(ending(sure_and_wrong), label)
    gradient = torch.autograd.grad(loss, sure_and_wrong)[0]  # (1, 10)
    print(f"{name:21} loss {loss.item():.4f}, gradient on the right digit {gradient[0, 0].item():.5f}")

# %% [markdown]
# With raw logits, the loss is large (10) and the gradient on the right digit is about
# -1 (negative: raising this logit lowers the loss), a strong push in the right
# direction. With softmax first, the loss barely notices the mistake (2.46) and the
# gradient almost vanishes, 20,000 times weaker: a saturated softmax is flat, like a
# saturated sigmoid. The model hardly learns from its most confident mistakes. Lesson 3b
# shows it in training.
#
# So: the model returns **raw logits**, and `CrossEntropyLoss` does the rest. Apply
# `softmax` only when you want to *show* probabilities, after training (as in
# exercise 3.3).

# %% [markdown]
# **Exercise 3.4.** One tutorial trains this network with `nn.CrossEntropyLoss`:
#
# ```python
# nn.Sequential(nn.Flatten(), nn.Linear(784, 250), nn.Sigmoid(), nn.Linear(250, 200), nn.Sigmoid(),
#               nn.Linear(200, 10), nn.Softmax(dim=1))
# ```
#
# Build `fixed`: the same layer sizes, with the activation and the ending this lesson
# recommends.

# %% tags=["exercise"]
fixed = ...  # your code here
check("3.4", fixed)

# %% [markdown]
# ## Recap
#
# - Linear layers stacked without an activation are one linear layer (`W2 @ W1`), and a
#   linear model cannot separate XOR. An **activation** such as ReLU after each hidden
#   layer lets the network draw bent borders.
# - An **MLP** is `Linear -> ReLU -> (Dropout) -> ... -> Linear`, with raw logits at the
#   end. Each `Linear(a, b)` learns `a * b + b` numbers: 136,074 for 784-128-256-10.
# - **Dropout** switches off random hidden units while training, against overfitting.
#   `model.train()` turns it on, `model.eval()` off; `torch.no_grad()` stops recording for
#   `backward()`. To use a model: `eval()`, then compute inside `no_grad()`.
# - The sigmoid's slope is at most 1/4: in a sigmoid network the gradients shrink on
#   their way back to the first layer. ReLU passes them through.
# - Never put `softmax` before `CrossEntropyLoss` (softmax twice: squashed gradients).
#   `log_softmax` before it is redundant but harmless; pair it with `NLLLoss`.
#
# **Next, lesson 3b:** batches from a `DataLoader`, SGD with momentum, and the training
# loop written by hand, to train these networks on MNIST.
