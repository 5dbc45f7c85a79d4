"""mnist_course: the helper package behind the lessons; what a lesson taught, later lessons import.

Nothing runs at import time: importing it loads no data, picks no device and trains nothing.
"""

__version__ = "0.1.0"
