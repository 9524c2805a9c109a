"""``python -m chimera_pipeline.cli``: the ``chimera`` command."""

import sys

from chimera_pipeline.cli import main

sys.exit(main())
