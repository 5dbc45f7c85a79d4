"""Training throughput: the seed tutorials' pipeline against ``fit``, and the time to 95%.

The seeds' pipeline is ``torchvision.datasets.MNIST`` with ``ToTensor`` + ``Normalize``
applied to every image, ``DataLoader(batch_size=64, shuffle=True)``, a 784-500-256-10
``nn.Sequential``, SGD (lr 0.01, momentum 0.9) and ``loss.item()`` after every batch.
:func:`mnist_course.training.fit` trains the same model at the same batch size and at the
lessons' defaults. The pipelines are interleaved in rounds so that their ratios come from
the same minutes of the same run, and the best epoch of each is kept.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from mnist_course.data import MNIST_MEAN, MNIST_STD, mnist_dataset
from mnist_course.models import MLP
from mnist_course.training import fit

from .config import HIDDEN, LESSON_DEFAULTS, SEEDS_SETTINGS, TARGET_ACCURACY, BenchConfig

LABELS = {
    "seeds": "seeds: DataLoader, SGD, batch 64",
    "fit_batch64": "fit: SGD, batch 64",
    "fit_lesson_defaults": "fit: lesson defaults (Adam, batch 128)",
}


def seeds_model() -> nn.Sequential:
    """The tutorials' 784-500-256-10 MLP as a plain ``nn.Sequential``."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def seeds_dataset(subset: int | None = None):
    """The training split as the tutorials load it: torchvision MNIST, ToTensor + Normalize per image."""
    from torchvision.transforms import Compose, Normalize, ToTensor

    dataset = mnist_dataset("train", transform=Compose([ToTensor(), Normalize((MNIST_MEAN,), (MNIST_STD,))]))
    if subset is not None:
        dataset = torch.utils.data.Subset(dataset, range(min(subset, len(dataset))))
    return dataset


def seeds_epoch(dataset, device: torch.device, max_batches: int | None = None, seed: int = 0) -> dict:
    """Train the tutorials' way for one epoch (or ``max_batches``) and time it.

    Returns:
        ``{"images", "batches", "seconds", "cpu_seconds", "images_per_second", "mean_loss"}``;
        ``cpu_seconds`` is this process's CPU time (all its threads).
    """
    torch.manual_seed(seed)
    model = seeds_model().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=SEEDS_SETTINGS["lr"],
                                momentum=SEEDS_SETTINGS["momentum"])
    criterion = nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(dataset, batch_size=SEEDS_SETTINGS["batch_size"], shuffle=True)
    model.train()
    running_loss, images_seen, batches = 0.0, 0, 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        images_seen += len(labels)
        batches += 1
        if max_batches is not None and batches >= max_batches:
            break
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {"images": images_seen, "batches": batches, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "images_per_second": images_seen / seconds, "mean_loss": running_loss / max(batches, 1)}


def fit_epoch_rates(train: Sequence[torch.Tensor], device: torch.device, settings: dict, epochs: int = 1,
                    subset: int | None = None, seed: int = 0) -> list[dict]:
    """Train a fresh 784-500-256-10 MLP with ``fit`` and time each epoch (``test=None``).

    Args:
        train: ``(images, labels)``.
        device: where to train.
        settings: ``optimizer``, ``lr``, ``momentum``, ``batch_size`` and optionally ``dropout``.
        epochs: epochs to train; each is one sample.
        subset: train on the first ``subset`` images only.
        seed: seeds the weights and the shuffling.

    Returns:
        One ``{"images", "seconds", "cpu_seconds", "images_per_second"}`` per epoch.
    """
    torch.manual_seed(seed)
    model = MLP(HIDDEN, dropout=settings.get("dropout", 0.0)).to(device)
    cpu_ends: list[float] = []
    cpu_start = time.process_time()  # also counts fit's one-off data preparation (a few ms)

    def epoch_end(progress) -> None:
        if progress.end_of_epoch:
            cpu_ends.append(time.process_time())

    history = fit(model, train, None, epochs=epochs, optimizer=settings["optimizer"], lr=settings["lr"],
                  momentum=settings["momentum"], batch_size=settings["batch_size"], device=device,
                  seed=seed, subset=subset, progress=False, callbacks=[epoch_end])
    batch_size = settings["batch_size"]
    images = (history.settings["train_images"] // batch_size) * batch_size  # fit drops the last batch
    ends = history.seconds
    durations = [b - a for a, b in zip([0.0, *ends[:-1]], ends, strict=True)]
    cpu = [b - a for a, b in zip([cpu_start, *cpu_ends[:-1]], cpu_ends, strict=True)]
    return [{"images": images, "seconds": s, "cpu_seconds": c, "images_per_second": images / s}
            for s, c in zip(durations, cpu, strict=True)]


def measure_throughput(config: BenchConfig, device: torch.device, train: Sequence[torch.Tensor],
                       log: Callable[[str], None] = print) -> dict:
    """Interleave rounds of seeds / fit at batch 64 / fit at lesson defaults; keep each one's best epoch.

    Returns:
        One entry per pipeline (``seeds``, ``fit_batch64``, ``fit_lesson_defaults``) with
        ``label``, ``batch_size``, ``images_per_second`` (best epoch), its median,
        ``images_per_cpu_second`` (divided by this process's CPU time: with one thread,
        what a quiet machine would give) and every epoch's rate in ``samples``.
    """
    dataset = seeds_dataset(config.subset)
    runs: dict[str, Callable[[], list[dict]]] = {
        "seeds": lambda: [seeds_epoch(dataset, device, config.seeds_batches)],
        "fit_batch64": lambda: fit_epoch_rates(train, device, SEEDS_SETTINGS, config.fit_epochs,
                                               config.subset),
        "fit_lesson_defaults": lambda: fit_epoch_rates(train, device, LESSON_DEFAULTS, config.fit_epochs,
                                                       config.subset),
    }
    samples: dict[str, list[dict]] = {name: [] for name in runs}
    for round_number in range(1, config.rounds + 1):
        for name, run in runs.items():
            epochs = run()
            samples[name] += epochs
            rates = ", ".join(f"{e['images_per_second']:,.0f}" for e in epochs)
            log(f"  round {round_number}/{config.rounds}  {name:<20} images/s: {rates}")
    batch_sizes = {"seeds": SEEDS_SETTINGS["batch_size"], "fit_batch64": SEEDS_SETTINGS["batch_size"],
                   "fit_lesson_defaults": LESSON_DEFAULTS["batch_size"]}
    result = {}
    for name, epochs in samples.items():
        rates = [e["images_per_second"] for e in epochs]
        cpu_rates = [e["images"] / e["cpu_seconds"] for e in epochs if e["cpu_seconds"] > 0]
        result[name] = {"label": LABELS[name], "batch_size": batch_sizes[name],
                        "images_per_second": max(rates), "median_images_per_second": statistics.median(rates),
                        "images_per_cpu_second": max(cpu_rates) if cpu_rates else None,
                        "images_per_sample": epochs[0]["images"], "samples": rates}
    return result


def time_to_accuracy(train: Sequence[torch.Tensor], test: Sequence[torch.Tensor], device: torch.device,
                     target: float = TARGET_ACCURACY, max_epochs: int = 15, subset: int | None = None,
                     seed: int = 0) -> dict:
    """Train with the lesson-4 defaults until the test accuracy reaches ``target``.

    A ``fit`` callback notes the end of the first epoch whose test accuracy is at least
    ``target`` and stops the run. ``seconds`` is ``fit``'s own clock (training plus the
    test evaluation after each epoch); ``wall_seconds`` also counts building the model
    and moving the data to the device.

    Returns:
        ``reached``, ``seconds``, ``wall_seconds``, ``epochs`` and the test accuracy per epoch.
    """
    d = LESSON_DEFAULTS
    reached: dict[str, float] = {}
    wall_start = time.perf_counter()

    def stop_at_target(progress) -> bool:
        if progress.end_of_epoch and progress.test_accuracy >= target and not reached:
            reached.update(seconds=progress.seconds, wall_seconds=time.perf_counter() - wall_start,
                           epochs=progress.epoch)
        return bool(reached)  # True stops fit

    torch.manual_seed(seed)
    model = MLP(HIDDEN, dropout=d["dropout"])
    history = fit(model, train, test, epochs=max_epochs, optimizer=d["optimizer"], lr=d["lr"],
                  batch_size=d["batch_size"], device=device, seed=seed, subset=subset, progress=False,
                  callbacks=[stop_at_target])
    return {"target_accuracy": target, "settings": "MLP 784-500-256-10 dropout 0.2, Adam lr 1e-3, batch 128",
            "train_images": history.settings["train_images"], "test_images": len(test[1]),
            "max_epochs": max_epochs, "reached": bool(reached), "seconds": reached.get("seconds"),
            "wall_seconds": reached.get("wall_seconds"), "epochs": reached.get("epochs"),
            "test_accuracy_per_epoch": list(history.test_accuracy)}


#: The accuracies whose times ``recipe_times`` reports, for each of the course's final recipes.
RECIPE_TARGETS = (0.95, 0.97, 0.98)


def recipe_times(train: Sequence[torch.Tensor], test: Sequence[torch.Tensor], device: torch.device,
                 model: str = "mlp", targets: Sequence[float] = RECIPE_TARGETS, max_epochs: int | None = None,
                 subset: int | None = None) -> dict:
    """Train a final recipe (``"mlp"``: lesson 4, ``"cnn"``: lesson 6) until it reaches every target.

    A ``fit`` callback notes the first epoch whose test accuracy reaches each of ``targets`` and
    stops training once the highest is reached (or after the recipe's epochs, or ``max_epochs``).

    Returns:
        ``model``, ``epochs_run``, the test accuracy per epoch, and per target (as text, e.g.
        ``"0.98"``) ``{"reached", "seconds", "epochs"}`` (``None`` when not reached).
    """
    from mnist_course.recipe import train_final_model

    reached: dict[float, dict] = {}

    def note_targets(progress) -> bool:
        for target in targets:
            if target not in reached and progress.test_accuracy >= target:
                reached[target] = {"seconds": progress.seconds, "epochs": progress.epoch}
        return len(reached) == len(targets)  # True stops fit: every target reached

    overrides = {"epochs": max_epochs} if max_epochs is not None else {}
    _, history = train_final_model(train, test, device=device, progress=False, callbacks=[note_targets],
                                   subset=subset, model=model, **overrides)
    return {"model": model, "epochs_run": len(history), "train_images": history.settings["train_images"],
            "test_images": len(test[1]), "test_accuracy_per_epoch": list(history.test_accuracy),
            "targets": {f"{t:.2f}": {"reached": t in reached,
                                     **reached.get(t, {"seconds": None, "epochs": None})} for t in targets}}
