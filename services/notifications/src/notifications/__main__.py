"""`python -m notifications`: run the notifications service."""

from llwybr_common.runtime import serve
from notifications.main import app

serve(app)
