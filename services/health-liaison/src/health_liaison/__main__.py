"""`python -m health_liaison`: run the health-liaison service."""

from health_liaison.main import app
from llwybr_common.runtime import serve

serve(app)
