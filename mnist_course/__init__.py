"""mnist_course: the helper package behind the mnist-course lessons.

Every idea here is taught in a lesson first; the package holds it afterwards so later
lessons can import it. Nothing runs at import time: importing this package does not
load data, pick a device or train anything.
"""

__version__ = "0.1.0"
