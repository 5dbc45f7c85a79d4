"""``python -m mnist_course``: the command line of :mod:`mnist_course.cli`."""

import sys

from .cli.parser import main

if __name__ == "__main__":
    sys.exit(main())
