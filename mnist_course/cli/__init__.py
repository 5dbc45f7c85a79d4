"""The command line, ``python -m mnist_course data | train | predict | lab`` (also ``mnist-course``).

* :mod:`~mnist_course.cli.parser`: the arguments, their types and :func:`~mnist_course.cli.parser.main`;
* :mod:`~mnist_course.cli.commands`: ``data`` (where MNIST comes from, checked), ``train`` (lesson 4's
  final model, or lesson 6's CNN, saved where lesson 5 loads it) and ``predict`` (the top-3 digits
  for each image file);
* :mod:`~mnist_course.cli.workspace`: ``lab``, the student's own copy of the lessons in ``work/``
  and the JupyterLab that opens it (``make lab``, Binder).
"""
