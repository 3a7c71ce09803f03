"""`python -m referral`: run the referral service."""

from llwybr_common.runtime import serve
from referral.main import app

serve(app)
