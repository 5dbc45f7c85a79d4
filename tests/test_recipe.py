"""The final recipe is one path: CLI defaults, training, checkpoint, predict (issue 11)."""

from __future__ import annotations

import pytest
import torch

from mnist_course.checkpoints import load_checkpoint, save_checkpoint
from mnist_course.cli.parser import build_parser, main
from mnist_course.data.deskew import deskew_batch
from mnist_course.data.evalsets import load_hardset
from mnist_course.handwriting.predict import predict
from mnist_course.handwriting.preprocess import to_mnist
from mnist_course.models import MLP
from mnist_course.recipe import FINAL_RECIPE, build_final_model, recipe_settings, train_final_model
from mnist_course.training import evaluate, fit


def test_the_cli_without_flags_trains_exactly_the_recipe():
    args = build_parser().parse_args(["train"])
    assert recipe_settings(**{name: getattr(args, name) for name in FINAL_RECIPE}) == FINAL_RECIPE
    args = build_parser().parse_args(["train", "--epochs", "3", "--augment", "none", "--no-deskew"])
    settings = recipe_settings(**{name: getattr(args, name) for name in FINAL_RECIPE})
    assert settings == {**FINAL_RECIPE, "epochs": 3, "augment": (), "deskew": False}


def test_recipe_settings_refuse_unknown_names():
    with pytest.raises(ValueError, match="unknown recipe setting.*'epoch'"):
        recipe_settings(epoch=3)


def test_cli_train_checkpoint_and_predict_are_one_path(tmp_path, capsys):
    """Train with the recipe (1 epoch, 1000 images), save, load: the deskew travels in the
    checkpoint, and predict applies it to a hard-set picture without being told."""
    out = tmp_path / "final.pt"
    assert main(["train", "--epochs", "1", "--subset", "1000", "--quiet", "--out", str(out)]) == 0
    assert f"saved {out}" in capsys.readouterr().out
    model, info = load_checkpoint(out)
    assert info["config"]["hidden"] == list(FINAL_RECIPE["hidden"])
    assert info["config"]["dropout"] == FINAL_RECIPE["dropout"]
    assert model.recipe["preprocess"] == {"deskew": True} and info["metrics"]["train_images"] == 1000
    paths, labels, kinds = load_hardset(kinds="slant")
    guesses = predict(model, paths[:3], k=10)  # no preprocessing arguments
    deskewed = torch.stack([to_mnist(p, deskew=True) for p in paths[:3]])
    plain = torch.stack([to_mnist(p) for p in paths[:3]])
    assert guesses == predict(model, deskewed, k=10)
    assert not torch.allclose(deskewed, plain, atol=0.05)  # slanted digits: deskewing changes them
    assert guesses != predict(model, plain, k=10)


def test_train_final_model_sets_the_recipe_and_records_its_settings(train_split):
    model, history = train_final_model((train_split.images[:600], train_split.labels[:600]), device="cpu",
                                       progress=False, epochs=1, hidden=(32,))
    assert model.recipe["preprocess"] == {"deskew": True} and not model.training
    assert history.settings["augment"] == FINAL_RECIPE["augment"] and history.settings["deskew"] is True
    assert history.settings["hidden"] == [32] and history.settings["train_images"] == 600
    assert build_final_model({"deskew": False}).recipe["preprocess"] == {}


def test_fit_trains_on_deskewed_images_when_the_recipe_deskews(train_split):
    train = (train_split.images[:512], train_split.labels[:512])
    torch.manual_seed(0)
    deskewing = MLP(hidden=(16,))
    plain = MLP(hidden=(16,))
    plain.load_state_dict(deskewing.state_dict())
    deskewing.recipe = {"mean": 0.1307, "std": 0.3081, "preprocess": {"deskew": True}}
    plain.recipe = {"mean": 0.1307, "std": 0.3081, "preprocess": {}}
    fit(deskewing, train, epochs=1, progress=False)
    fit(plain, (deskew_batch(train[0]), train[1]), epochs=1, progress=False)
    for a, b in zip(deskewing.parameters(), plain.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    # evaluate and predict on MNIST's own uint8 images deskew them the same way
    images, labels = train_split.images[1000:1300], train_split.labels[1000:1300]
    assert evaluate(deskewing, images, labels) == pytest.approx(evaluate(plain, deskew_batch(images), labels))
    assert predict(deskewing, images, k=2) == predict(plain, deskew_batch(images), k=2)


def test_a_saved_deskewing_model_deskews_after_loading(tmp_path, train_split):
    model = build_final_model({"hidden": (16,)})
    path = save_checkpoint(tmp_path / "m.pt", model)
    loaded, info = load_checkpoint(path)
    assert loaded.recipe["preprocess"] == info["recipe"]["preprocess"] == {"deskew": True}
    images = train_split.images[:50]
    assert predict(loaded, images, k=3) == predict(model, images, k=3)


def test_train_final_model_repeats_exactly_and_leaves_your_rng_alone(train_split):
    train = (train_split.images[:300], train_split.labels[:300])
    state = torch.get_rng_state()
    first, _ = train_final_model(train, device="cpu", progress=False, epochs=1, hidden=(16,))
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(123)  # another global state: the recipe's seed decides, not yours
    second, _ = train_final_model(train, device="cpu", progress=False, epochs=1, hidden=(16,))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_the_hardset_benchmark_uses_the_checkpoints_recipe(tmp_path):
    """benchmarks.hardset measures what predict(model, path) answers, per kind and overall."""
    import csv
    import shutil

    from benchmarks.hardset import format_table, hardset_table
    from mnist_course.data.evalsets import HARDSET_DIR

    rows = list(csv.DictReader(open(HARDSET_DIR / "labels.csv", newline="", encoding="utf-8")))
    chosen = [r for r in rows if r["kind"] == "slant"][:3] + [r for r in rows if r["kind"] == "mouse"][:3]
    folder = tmp_path / "mini"
    folder.mkdir()
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    for row in chosen:
        shutil.copy(HARDSET_DIR / row["file"], folder / row["file"])
    torch.manual_seed(0)
    model = build_final_model({"hidden": (16,)})  # deskews; untrained is enough to compare paths
    table = hardset_table(model, folder)
    guesses = [g[0][0] for g in predict(model, [folder / r["file"] for r in chosen], k=1)]
    correct = sum(g == int(r["label"]) for g, r in zip(guesses, chosen, strict=True))
    assert table["all"]["to_mnist"] == (correct, 6) and table["slant"]["naive"][1] == 3
    assert "| all | 6 |" in format_table(table)


def test_the_cnn_recipe_sits_beside_the_mlp_one_and_trains_with_the_same_fit(train_split):
    from mnist_course.models import SmallCNN
    from mnist_course.recipe import CNN_RECIPE, RECIPES

    assert RECIPES == {"mlp": FINAL_RECIPE, "cnn": CNN_RECIPE} and recipe_settings() == FINAL_RECIPE
    assert recipe_settings("cnn", epochs=2) == {**CNN_RECIPE, "epochs": 2}
    with pytest.raises(ValueError, match=r"unknown recipe setting.*'hidden'.*the cnn recipe"):
        recipe_settings("cnn", hidden=(32,))
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        recipe_settings("resnet")
    model, history = train_final_model((train_split.images[:600], train_split.labels[:600]), device="cpu",
                                       progress=False, epochs=1, model="cnn")
    assert isinstance(model, SmallCNN) and model.config["channels"] == list(CNN_RECIPE["channels"])
    assert model.recipe["preprocess"] == {"deskew": True} and not model.training
    assert history.settings["model"] == "SmallCNN" and history.settings["augment"] == CNN_RECIPE["augment"]
    assert history.settings["train_images"] == 600 and history.settings["epochs"] == 1
