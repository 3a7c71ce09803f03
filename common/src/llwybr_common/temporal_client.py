"""The Temporal client every caller uses: tracing on the client only (a worker-side
interceptor would trace replays too), and the pydantic data converter so workflow inputs are
the contracts' typed models."""

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from llwybr_common.connections import temporal_options
from llwybr_common.settings import Settings
from llwybr_common.telemetry import tracer_provider


async def connect_temporal(settings: Settings) -> Client:
    # The tracer of the service connecting (several share one process in embedded mode).
    tracer = tracer_provider().get_tracer("temporalio.contrib.opentelemetry")
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        interceptors=[TracingInterceptor(tracer)],
        data_converter=pydantic_data_converter,
        **temporal_options(settings),  # TLS, client certificate, Temporal Cloud API key
    )
