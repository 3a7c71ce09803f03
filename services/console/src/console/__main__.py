"""`python -m console`: run the console (settings from LLWYBR_* environment variables)."""

from console.main import create_app
from llwybr_common.runtime import serve

serve(create_app())
