"""`python -m drumnet`: the same as the `drumnet` command."""

import sys

from drumnet.cli import main

sys.exit(main())
