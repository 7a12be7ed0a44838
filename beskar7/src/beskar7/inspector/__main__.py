"""`python3 -m beskar7.inspector`: how the inspection image starts it without a console script."""

import sys

from beskar7.inspector.cli import main

sys.exit(main())
