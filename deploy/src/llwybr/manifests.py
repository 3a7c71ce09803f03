"""Kubernetes manifests: the kustomize base written from the components table, and a renderer
for the base and its overlays that needs no kubectl.

    python -m llwybr.manifests write            # regenerate deploy/k8s/base from this file
    python -m llwybr.manifests render production  # print an overlay, as `kubectl kustomize`

The base is generated so that what each part may reach (its NetworkPolicy) follows the same
table as its environment: the services it claim-checks (`CALLS`, checked against the code's
`service_urls` look-ups by deploy/tests/test_manifests.py), whether it talks to Temporal, and
its schema. The overlays are hand-written kustomize and use only what `render` implements:
`resources`, `namespace`, `images`, `replicas` and strategic-merge `patches` (by file, or
inline with a `target` kind). The renderer is here so CI can render and validate offline
with nothing but the lock file; where kubectl exists, the test compares the two.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from llwybr.components import COMPONENTS, SERVICES, Component

K8S = Path(__file__).resolve().parents[2] / "k8s"
IMAGE = "ghcr.io/llwybr/llwybr"
PORT = 8080
APP = "app.kubernetes.io/name"
PART_OF = {"app.kubernetes.io/part-of": "llwybr"}

# Whom each part calls over HTTP (claim checks, the console's views, the worker's directory).
CALLS: dict[str, tuple[str, ...]] = {
    "referral": ("advocacy", "worker"),  # and the worker: calendars for intake's first clock
    "idp": ("referral",),
    "health-liaison": ("referral",),
    "notifications": ("referral",),
    "advocacy": ("referral",),
    # and the worker: the journey's calendar API (the calendar admin pages)
    "console": (*(s for s in SERVICES if s != "console"), "worker"),
    "worker": ("referral",),
    "bridge": ("referral",),  # its case directory (a signal names a case it must know)
    "insight": (),  # reads every topic, calls no one
}
TEMPORAL = {"referral", "advocacy", "worker", "bridge"}  # parts with a Temporal client
SMTP = {"notifications"}
PUBLIC = {"console"}  # reached from the ingress controller

# Requests from what each process used on the embedded stack during `llwybr demo` (deploy/README.md,
# "Capacity"): resident memory 141-160 MB per service (notifications peaked at 175 MB, the worker
# reached 226 MB holding workflows), plus ~20% headroom; CPU from the CPU seconds each spent
# during that run (referral and worker the most). Limits: memory only, twice the request (a CPU
# limit throttles the event loop in bursts).
RESOURCES: dict[str, dict[str, str]] = {
    "referral": {"cpu": "250m", "memory": "192Mi"},
    "idp": {"cpu": "100m", "memory": "192Mi"},
    "health-liaison": {"cpu": "100m", "memory": "192Mi"},
    "notifications": {"cpu": "100m", "memory": "224Mi"},
    "advocacy": {"cpu": "100m", "memory": "192Mi"},
    "console": {"cpu": "100m", "memory": "192Mi"},
    "insight": {"cpu": "100m", "memory": "192Mi"},  # not measured: sized like its peers
    "worker": {"cpu": "250m", "memory": "320Mi"},
    "bridge": {"cpu": "100m", "memory": "192Mi"},
}
MEMORY_LIMIT_FACTOR = 2

# Where the clusters answer (the overlays' ConfigMap patch may move them).
KAFKA = {
    "namespace": "kafka",
    "pods": {"strimzi.io/cluster": "llwybr-kafka", "strimzi.io/kind": "Kafka"},
    "port": 9093,
}
POSTGRES = {"namespace": "postgres", "pods": {"cnpg.io/cluster": "llwybr-db"}, "port": 5432}
TEMPORAL_FRONTEND = {
    "namespace": "temporal",
    "pods": {"app.kubernetes.io/name": "temporal", "app.kubernetes.io/component": "frontend"},
    "port": 7233,
}
OTEL = {
    "namespace": "observability",
    "pods": {"app.kubernetes.io/name": "opentelemetry-collector"},
    "port": 4318,
}
INGRESS_NAMESPACE = "ingress-nginx"
PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


def _meta(name: str, part: str | None = None) -> dict[str, Any]:
    labels = {**PART_OF, **({APP: part} if part else {})}
    return {"name": name, "labels": labels}


def _peer(where: dict[str, Any]) -> dict[str, Any]:
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": where["namespace"]}},
        "podSelector": {"matchLabels": dict(where["pods"])},
    }


def _egress_to(where: dict[str, Any]) -> dict[str, Any]:
    return {"to": [_peer(where)], "ports": [{"protocol": "TCP", "port": where["port"]}]}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _env(c: Component) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "LLWYBR_SERVICE", "value": c.name},
        {"name": "OTEL_SERVICE_NAME", "value": f"llwybr-{c.name}"},
        # Strimzi: a KafkaUser per part; its secret holds the SCRAM-SHA-512 password.
        {"name": "LLWYBR_KAFKA_SASL_USERNAME", "value": f"llwybr-{c.name}"},
        _secret_env("LLWYBR_KAFKA_SASL_PASSWORD", f"llwybr-{c.name}", "password"),
        {"name": "LLWYBR_EVENT_SIGNING_KEY", "value": "/var/run/llwybr/signing/key.pem"},
    ]
    if c.schema is not None:
        # CloudNativePG managed roles: a basic-auth secret per role (URL-safe passwords).
        env += [
            {
                "name": "DB_HOST",
                "valueFrom": {"configMapKeyRef": {"name": "llwybr-config", "key": "DB_HOST"}},
            },
            _secret_env("DB_USER", f"llwybr-db-{c.schema}-app", "username"),
            _secret_env("DB_PASSWORD", f"llwybr-db-{c.schema}-app", "password"),
            _secret_env("DB_OWNER_USER", "llwybr-db-owner", "username"),
            _secret_env("DB_OWNER_PASSWORD", "llwybr-db-owner", "password"),
            {
                "name": "LLWYBR_DATABASE_URL",
                "value": "postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST)/llwybr",
            },
            {
                "name": "LLWYBR_DATABASE_OWNER_URL",
                "value": "postgresql+asyncpg://$(DB_OWNER_USER):$(DB_OWNER_PASSWORD)@$(DB_HOST)/llwybr",
            },
        ]
    env.append(_secret_env("LLWYBR_SERVICE_TOKEN", f"llwybr-{c.name}-oidc", "token"))
    return env


def _probe(path: str, **extra: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, **extra}


def deployment(c: Component) -> dict[str, Any]:
    requests = RESOURCES[c.name]
    memory = requests["memory"]
    limit = f"{int(memory.removesuffix('Mi')) * MEMORY_LIMIT_FACTOR}Mi"
    container: dict[str, Any] = {
        "name": c.name,
        "image": f"{IMAGE}:latest",
        "args": [c.name],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": "llwybr-config"}}],
        "env": _env(c),
        "resources": {"requests": dict(requests), "limits": {"memory": limit}},
        # Migrations run at start (after the Job, a no-op): the startup probe allows for them.
        "startupProbe": _probe("/healthz", periodSeconds=2, failureThreshold=60),
        "livenessProbe": _probe("/healthz", periodSeconds=10, timeoutSeconds=3, failureThreshold=3),
        "readinessProbe": _probe("/readyz", periodSeconds=5, timeoutSeconds=3, failureThreshold=2),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "signing", "mountPath": "/var/run/llwybr/signing", "readOnly": True},
            {"name": "event-keys", "mountPath": "/var/run/llwybr/event-keys", "readOnly": True},
            {"name": "kafka-ca", "mountPath": "/var/run/llwybr/kafka-ca", "readOnly": True},
        ],
    }
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        {
            "name": "signing",
            "secret": {
                "secretName": f"llwybr-{c.name}-signing",
                "items": [{"key": "key.pem", "path": "key.pem"}],
            },
        },
        {"name": "event-keys", "configMap": {"name": "llwybr-event-public-keys"}},
        {"name": "kafka-ca", "secret": {"secretName": "llwybr-kafka-cluster-ca-cert"}},
    ]
    if c.name in TEMPORAL:
        # Temporal's client certificate, where mutual TLS is on (production overlay); optional,
        # so a cluster without it (or Temporal Cloud with an API key) needs no secret.
        container["volumeMounts"].append(
            {"name": "temporal-client", "mountPath": "/var/run/llwybr/temporal", "readOnly": True}
        )
        volumes.append(
            {
                "name": "temporal-client",
                "secret": {"secretName": "llwybr-temporal-client", "optional": True},
            }
        )
    labels = {**PART_OF, APP: c.name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(c.name, c.name),
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {APP: c.name}},
            # One new pod at a time, none taken away before its replacement is ready.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": "llwybr",
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    # Consumers leave their group cleanly; the outbox relay finishes its batch.
                    "terminationGracePeriodSeconds": 30,
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": {APP: c.name}},
                        }
                    ],
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


def service(c: Component) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(c.name, c.name),
        "spec": {
            "selector": {APP: c.name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def disruption_budget(c: Component) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(c.name, c.name),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {APP: c.name}}},
    }


def callers_of(name: str) -> list[str]:
    return sorted(caller for caller, callees in CALLS.items() if name in callees)


def network_policy(c: Component) -> dict[str, Any]:
    dns = {
        "to": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    egress = [dns, _egress_to(KAFKA), _egress_to(OTEL)]
    if c.schema is not None:
        egress.append(_egress_to(POSTGRES))
    if c.name in TEMPORAL:
        egress.append(_egress_to(TEMPORAL_FRONTEND))
    callees = CALLS[c.name]
    if callees:
        egress.append(
            {
                "to": [{"podSelector": {"matchLabels": {APP: callee}}} for callee in callees],
                "ports": [{"protocol": "TCP", "port": PORT}],
            }
        )
    outside = {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE)}}
    # The identity provider's JWKS and token endpoints (Entra ID) are outside the cluster.
    egress.append({"to": [outside], "ports": [{"protocol": "TCP", "port": 443}]})
    if c.name in SMTP:
        egress.append({"to": [outside], "ports": [{"protocol": "TCP", "port": 587}]})
    ingress_from: list[dict[str, Any]] = [
        {"podSelector": {"matchLabels": {APP: caller}}} for caller in callers_of(c.name)
    ]
    if c.name in PUBLIC:
        ingress_from.append(
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}
                }
            }
        )
    ingress = (
        [{"from": ingress_from, "ports": [{"protocol": "TCP", "port": PORT}]}]
        if ingress_from
        else []
    )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(c.name, c.name),
        "spec": {
            "podSelector": {"matchLabels": {APP: c.name}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def config_map() -> dict[str, Any]:
    urls = {s: f"http://{s}" for s in (*SERVICES, "worker")}  # worker: the calendar API
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta("llwybr-config"),
        "data": {
            "LLWYBR_MODE": "production",
            "LLWYBR_HTTP_HOST": "0.0.0.0",
            "LLWYBR_HTTP_PORT": str(PORT),
            "LLWYBR_KAFKA_BOOTSTRAP": "llwybr-kafka-kafka-bootstrap.kafka.svc:9093",
            "LLWYBR_KAFKA_TLS": "true",
            "LLWYBR_KAFKA_TLS_CA_FILE": "/var/run/llwybr/kafka-ca/ca.crt",
            "LLWYBR_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "LLWYBR_KAFKA_IDEMPOTENCE": "on",
            "LLWYBR_KAFKA_REPLICATION_FACTOR": "3",
            "LLWYBR_KAFKA_MIN_INSYNC_REPLICAS": "2",
            "LLWYBR_KAFKA_PARTITIONS": "0",
            "LLWYBR_TEMPORAL_ADDRESS": "temporal-frontend.temporal.svc:7233",
            "LLWYBR_TEMPORAL_NAMESPACE": "llwybr",
            "DB_HOST": "llwybr-db-rw.postgres.svc:5432",
            "LLWYBR_DATABASE_SSLMODE": "verify-full",
            "LLWYBR_DATABASE_SSL_ROOT_CERT": "/var/run/llwybr/db-ca/ca.crt",
            "LLWYBR_OTLP_ENDPOINT": "http://otel-collector.observability.svc:4318/v1/traces",
            "LLWYBR_EVENT_VERIFY_KEYS": "/var/run/llwybr/event-keys",
            "LLWYBR_SERVICE_URLS": json.dumps(urls, sort_keys=True),
            "LLWYBR_JWT_ISSUER": "https://login.microsoftonline.com/TENANT-ID/v2.0",
            "LLWYBR_JWT_AUDIENCE": "api://llwybr",
            "LLWYBR_JWKS_URL": "https://login.microsoftonline.com/TENANT-ID/discovery/v2.0/keys",
        },
    }


def _db_ca(obj: dict[str, Any]) -> None:
    """Every pod with a database gets CloudNativePG's CA (its `<cluster>-ca` secret)."""
    spec = obj["spec"]["template"]["spec"]
    spec["volumes"].append(
        {
            "name": "db-ca",
            "secret": {
                "secretName": "llwybr-db-ca",
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
            },
        }
    )
    for container in spec.get("initContainers", []) + spec["containers"]:
        container["volumeMounts"].append(
            {"name": "db-ca", "mountPath": "/var/run/llwybr/db-ca", "readOnly": True}
        )


def setup_job() -> dict[str, Any]:
    """Migrations (as the schema owner), then `llwybr provision`, before each rollout."""
    db_env = [
        {
            "name": "DB_HOST",
            "valueFrom": {"configMapKeyRef": {"name": "llwybr-config", "key": "DB_HOST"}},
        },
        _secret_env("DB_OWNER_USER", "llwybr-db-owner", "username"),
        _secret_env("DB_OWNER_PASSWORD", "llwybr-db-owner", "password"),
        {
            "name": "LLWYBR_DATABASE_OWNER_URL",
            "value": "postgresql+asyncpg://$(DB_OWNER_USER):$(DB_OWNER_PASSWORD)@$(DB_HOST)/llwybr",
        },
    ]
    kafka_env = [
        {"name": "LLWYBR_KAFKA_SASL_USERNAME", "value": "llwybr-admin"},
        _secret_env("LLWYBR_KAFKA_SASL_PASSWORD", "llwybr-admin", "password"),
    ]
    common = {
        "image": f"{IMAGE}:latest",
        "envFrom": [{"configMapRef": {"name": "llwybr-config"}}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "kafka-ca", "mountPath": "/var/run/llwybr/kafka-ca", "readOnly": True},
        ],
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta("llwybr-setup", "setup"),
        "spec": {
            "backoffLimit": 3,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": {**PART_OF, APP: "setup"}},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": "llwybr",
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "initContainers": [
                        {
                            "name": "migrate",
                            "args": ["migrate"],
                            "env": db_env,
                            **copy.deepcopy(common),
                        }
                    ],
                    "containers": [
                        {
                            "name": "provision",
                            "args": ["provision"],
                            "env": kafka_env,
                            **copy.deepcopy(common),
                        }
                    ],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        {
                            "name": "kafka-ca",
                            "secret": {"secretName": "llwybr-kafka-cluster-ca-cert"},
                        },
                    ],
                },
            },
        },
    }
    _db_ca(job)
    return job


def setup_network_policy() -> dict[str, Any]:
    dns = network_policy(COMPONENTS[0])["spec"]["egress"][0]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("llwybr-setup", "setup"),
        "spec": {
            "podSelector": {"matchLabels": {APP: "setup"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [dns, _egress_to(KAFKA), _egress_to(POSTGRES), _egress_to(TEMPORAL_FRONTEND)],
        },
    }


def base_files() -> dict[str, list[dict[str, Any]]]:
    """File name -> the objects it holds, for deploy/k8s/base."""
    files: dict[str, list[dict[str, Any]]] = {
        "config.yaml": [
            config_map(),
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _meta("llwybr"),
                "automountServiceAccountToken": False,
            },
        ],
        "setup-job.yaml": [setup_job(), setup_network_policy()],
    }
    for c in COMPONENTS:
        dep = deployment(c)
        if c.schema is not None:
            _db_ca(dep)
        files[f"{c.name}.yaml"] = [dep, service(c), disruption_budget(c), network_policy(c)]
    return files


HEADER = "# Generated by `python -m llwybr.manifests write` from deploy/src/llwybr/manifests.py; edit that.\n"


def dump(objects: list[dict[str, Any]]) -> str:
    return "---\n".join(yaml.safe_dump(o, sort_keys=False, width=100) for o in objects)


def write_base(directory: Path = K8S / "base") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    files = base_files()
    for name, objects in files.items():
        (directory / name).write_text(HEADER + dump(objects))
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(files),
    }
    (directory / "kustomization.yaml").write_text(
        HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    )


# --------------------------------------------------------------------------- rendering

# Strategic-merge keys of the lists the overlays patch (as Kubernetes' own patchMergeKey).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}


def merge(base: Any, patch: Any, key: str | None = None) -> Any:
    """Kubernetes strategic merge for the shapes the overlays use: maps merge, lists named in
    MERGE_KEYS merge by their key, other lists are replaced; a null value deletes."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        field = MERGE_KEYS[key]
        out_list = [copy.deepcopy(i) for i in base]
        added = []
        for item in patch:
            at = next((n for n, b in enumerate(out_list) if b.get(field) == item.get(field)), None)
            if at is None:
                added.append(copy.deepcopy(item))
            else:
                out_list[at] = merge(out_list[at], item)
        return added + out_list  # kustomize puts new items first
    return copy.deepcopy(patch)


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize <directory>` prints, for the features listed above."""
    k = yaml.safe_load((directory / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    for entry in k.get("resources", []):
        path = (directory / entry).resolve()
        objects += render(path) if path.is_dir() else _load(path)
    for patch in k.get("patches", []):
        body = (
            _load(directory / patch["path"])
            if "path" in patch
            else [yaml.safe_load(patch["patch"])]
        )
        for p in body:
            target = patch.get("target")

            def matches(o: dict[str, Any], p: dict[str, Any] = p, target: Any = target) -> bool:
                if target:  # every object of the kind (and name, if given)
                    named = "name" not in target or o["metadata"]["name"] == target["name"]
                    return bool(o["kind"] == target["kind"] and named)
                return bool(
                    o["kind"] == p["kind"] and o["metadata"]["name"] == p["metadata"]["name"]
                )

            hits = [n for n, o in enumerate(objects) if matches(o)]
            if not hits:
                raise ValueError(f"{directory}: patch {patch} matches nothing")
            for n in hits:
                keep = objects[n]["metadata"]["name"]
                objects[n] = merge(objects[n], p)
                objects[n]["metadata"]["name"] = keep
    for r in k.get("replicas", []):
        for o in objects:
            if o["kind"] in ("Deployment", "StatefulSet") and o["metadata"]["name"] == r["name"]:
                o["spec"]["replicas"] = r["count"]
    for image in k.get("images", []):
        for o in objects:
            spec = o.get("spec", {}).get("template", {}).get("spec", {})
            for c in spec.get("initContainers", []) + spec.get("containers", []):
                name, _, tag = c["image"].rpartition(":")
                if name == image["name"]:
                    c["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    if ns := k.get("namespace"):
        for o in objects:
            o["metadata"]["namespace"] = ns
    return objects


def main(argv: list[str]) -> int:
    if argv[:1] == ["write"]:
        write_base()
        return 0
    if argv[:1] == ["render"] and len(argv) == 2:
        print(dump(render(K8S / "overlays" / argv[1])))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
