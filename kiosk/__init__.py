"""The hall side of Balai: receipts for the kiosk's thermal printer (and, next, its agent).

python-escpos keeps a cache of printer profiles; it is pointed at a folder every user may write,
before anything imports it.
"""

import os
import tempfile

os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", os.path.join(tempfile.gettempdir(), "balai-escpos"))
os.makedirs(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"], exist_ok=True)
