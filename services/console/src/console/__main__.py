"""`python -m console`: run the console (settings from LLWYBR_* environment variables)."""

from llwybr_common.runtime import serve

from console.main import app

serve(app)
