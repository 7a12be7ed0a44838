"""Where the built image is (build/image, or $BESKAR7_IMAGE) and whether it is there."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
IMAGE = Path(os.environ.get("BESKAR7_IMAGE", REPO / "build" / "image"))
BUILT = all((IMAGE / name).is_file() for name in ("vmlinuz", "initrd.img", "target.tar.gz"))
NOT_BUILT = f"no image in {IMAGE}: build it with `make image`"
