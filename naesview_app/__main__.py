import sys

from naesview_app.cli import main

sys.exit(main())
