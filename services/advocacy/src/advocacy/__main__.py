"""`python -m advocacy`: run the advocacy service."""

from advocacy.main import app
from llwybr_common.runtime import serve

serve(app)
