"""`python -m idp`: run the idp service."""

from idp.main import app
from llwybr_common.runtime import serve

serve(app)
