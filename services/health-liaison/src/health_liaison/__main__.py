"""`python -m health_liaison`: run the health-liaison service."""

from llwybr_common.runtime import serve

from health_liaison.main import app

serve(app)
