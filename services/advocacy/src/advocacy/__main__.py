"""`python -m advocacy`: run the advocacy service."""

from llwybr_common.runtime import serve

from advocacy.main import app

serve(app)
