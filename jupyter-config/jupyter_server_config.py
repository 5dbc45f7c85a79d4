"""The course's Jupyter server settings, for the student's JupyterLab (``make lab``, Binder).

``python -m mnist_course lab`` (and Binder's ``binder/start``) put this folder on
``JUPYTER_CONFIG_PATH``. ``labconfig/default_setting_overrides.json`` beside it holds the
JupyterLab settings: no news prompt, no update check, no widget state saved in notebooks.
"""

import warnings

c = get_config()  # noqa: F821  (Jupyter provides it when it loads this file)

# The file browser shows the lessons: lesson 4's checkpoints/ and runs/ (TensorBoard) stay on
# disk, where the lessons read them, but out of the listing. The first five are Jupyter's own.
c.ContentsManager.hide_globs = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "checkpoints", "runs"]

# A saved notebook keeps each widget's text form, not a link to a kernel that will be gone.
try:
    from mnist_course.cli.workspace import keep_widget_text
except ImportError:  # the course package is not installed where the server runs
    pass
else:
    c.ContentsManager.pre_save_hook = keep_widget_text
    # Jupyter applies these settings again when an extension loads; traitlets would then warn, in
    # the student's terminal, that the hook replaces itself.
    warnings.filterwarnings("ignore", message=r"Overriding existing pre_save_hook \(keep_widget_text\)")
