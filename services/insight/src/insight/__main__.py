"""`python -m insight`: run the insight service."""

from insight.main import app
from llwybr_common.runtime import serve

serve(app)
