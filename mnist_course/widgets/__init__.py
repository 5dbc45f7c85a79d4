"""The course's interactive widgets (ipywidgets): nothing runs when they are displayed.

* :mod:`.dashboard`: the training dashboard of lessons 3 and 4 (sliders that re-run ``fit`` live),
  with :mod:`.knobs` (its controls), :mod:`.runner` (training off the kernel's main thread) and
  :mod:`.curves` (the live plot);
* :mod:`.draw`: the drawing canvas and the upload box of lessons 5 and 6, with :mod:`.strokes`
  (a drawing as an image) and :mod:`.pictures` (pictures and probabilities as images).
"""
