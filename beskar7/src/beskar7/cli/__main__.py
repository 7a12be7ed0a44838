"""`python -m beskar7.cli`: the `beskar7` command."""

import sys

from beskar7.cli.main import main

sys.exit(main())
