"""`python -m idp`: run the idp service."""

from llwybr_common.runtime import serve

from idp.main import app

serve(app)
