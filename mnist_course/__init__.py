"""mnist_course: the helper package behind the lessons, laid out like the course.

What a lesson taught, later lessons import from here. The parts:

* **core** (this folder), lessons 1-4: :mod:`~mnist_course.env` (the setup cell: seed, device,
  threads, figures), :mod:`~mnist_course.data` (MNIST, the course's own pictures, fast batches,
  and preparing training images: augmentation and deskewing), :mod:`~mnist_course.models`,
  :mod:`~mnist_course.training` (lesson 3's loop and ``fit``), :mod:`~mnist_course.evaluation`,
  :mod:`~mnist_course.recipe` (the final models), :mod:`~mnist_course.checkpoints`,
  :mod:`~mnist_course.plots` and :mod:`~mnist_course.learning_curves`.
* :mod:`~mnist_course.cli`: the command line, ``python -m mnist_course data | train | predict | lab``.
* :mod:`~mnist_course.handwriting`, lesson 5: reading any picture and making it look like MNIST.
* :mod:`~mnist_course.widgets`, lessons 3-6: the training dashboard, the canvas and the upload box.
* :mod:`~mnist_course.exercises`, every lesson: the exercises' checks, hints and solutions.

Nothing runs at import time: importing it loads no data, picks no device and trains nothing.
"""

__version__ = "0.1.0"


def progress() -> dict:
    """Every lesson's exercises with what your checks said (not answered, not yet or correct), as a list.

    The same as :func:`mnist_course.exercises.progress` (kept across kernel restarts in your folder).
    """
    from .exercises import progress as show_progress

    return show_progress()
