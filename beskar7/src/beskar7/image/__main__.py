"""`python -m beskar7.image build`: see cli.py."""

import sys

from beskar7.image.cli import main

sys.exit(main())
