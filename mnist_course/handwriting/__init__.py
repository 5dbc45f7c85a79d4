"""Reading a student's own digits (lesson 5): any picture in, an MNIST-like 28x28 digit out.

The steps of :func:`~mnist_course.handwriting.preprocess.to_mnist`, in the order lesson 5 shows them:

* :mod:`.images`: open a file, array or tensor safely; grey levels 0..1;
* :mod:`.paper`: find the sheet in a phone photo and repaint the table around it;
* :mod:`.background`: dark ink on light paper, uneven light removed, contrast stretched;
* :mod:`.lines`: ruled lines taken away;
* :mod:`.ink`: specks and far marks dropped, the digit kept;
* :mod:`.thickness`: thin pen strokes thickened to MNIST's width;
* :mod:`.preprocess`: the whole pipeline, its steps, and lesson 5's naive version;
* :mod:`.guard`: "is there one digit here at all?";
* :mod:`.predict` and :mod:`.reading`: a model's top guesses for one picture or many (the
  command line's ``predict`` is in :mod:`mnist_course.cli.commands`).
"""
