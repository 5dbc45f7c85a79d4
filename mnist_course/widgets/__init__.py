"""The course's interactive widgets (ipywidgets): nothing runs when they are displayed.

* :mod:`.dashboard`: the training dashboard of lessons 3 and 4 (sliders that re-run ``fit`` live),
  with :mod:`.knobs` (its controls), :mod:`.runner` (training off the kernel's main thread) and
  :mod:`.curves` (the live plot);
* :mod:`.draw`: the drawing canvas and the upload box of lessons 5 and 6, with :mod:`.strokes`
  (a drawing as an image) and :mod:`.pictures` (pictures and probabilities as images).
"""

#: JupyterLab's theme colours (with a fallback outside JupyterLab): readable in light and dark themes.
COLOURS = {"error": "var(--jp-error-color1, #d32f2f)", "warning": "var(--jp-warn-color1, #f57c00)"}


def in_colour(text: str, kind: str = "error") -> str:
    """``text`` (HTML) in the theme's ``"error"`` or ``"warning"`` colour."""
    return f"<span style='color:{COLOURS[kind]}'>{text}</span>"
