"""The MCP server's code artifact in the artifact bucket (issue 14): the zip reconciler.packaging
builds, at `<stack>/<name>/<sha256>.zip`.

Packaging runs when the stack is loaded for plan or apply (`build`: no AWS call, cached; validate,
destroy and the commands that only read AWS build nothing), so the content hash is known before any
upload and the key with it: dependents (the agent runtime) plan against the new key, as Terraform
plans against a value known at plan time. A changed server is therefore an
update of the artifact (a new object; older ones stay for the runtime's older versions until
destroy) and an update of the runtime; an unchanged one is a no-op.

Platform (`platform:`): `linux-arm64` (AgentCore Runtime's), `host` (this machine's, what the
sandbox can run), or `auto`: host when AWS_ENDPOINT_URL points at a loopback address (the sandbox),
linux-arm64 otherwise. The object is owned through its bucket.

Program (`program:`, reconciler/packaging/programs.py): `server` (the default: server/ and handoff/ with the
Runtime's entry file) or `callback` (callback/ and handoff/, for AWS Lambda: its `lambda_runtime` attribute is
the function's Runtime, its handler `callback.lambda_handler.handler`).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from reconciler.aws import ignore_missing
from reconciler.diagnostics import Diagnostic
from reconciler.kinds.base import Context, Kind, ResourceSpec
from reconciler.kinds.s3_common import add_bucket_tags, list_keys, s3_missing
from reconciler.live import APPLIED_TAG, Live
from reconciler.spec.interpolation import Unknown

if TYPE_CHECKING:
    from reconciler.packaging import Platform


class CodeArtifactSpec(ResourceSpec):
    kind: Literal["code_artifact"]
    bucket: str
    source: str = "."
    platform: Literal["auto", "linux-arm64", "host"] = "auto"
    program: Literal["server", "callback"] = "server"


def target_platform(choice: str, environ: dict[str, str] | None = None) -> Platform:
    """`auto`: the host when the AWS endpoint is a loopback address (the sandbox runs the code here)."""
    from reconciler.packaging import AWS_ARM64, host

    if choice == "auto":
        endpoint = urlparse((environ if environ is not None else dict(os.environ)).get("AWS_ENDPOINT_URL", ""))
        choice = "host" if endpoint.hostname and _is_loopback(endpoint.hostname) else "linux-arm64"
    return host() if choice == "host" else AWS_ARM64


def _is_loopback(hostname: str) -> bool:
    try:
        return hostname == "localhost" or ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class CodeArtifact(Kind):
    kind = "code_artifact"
    spec_model = CodeArtifactSpec
    discovery_group = "runtime"
    attributes = frozenset({"bucket", "key", "sha256", "runtime", "lambda_runtime"})
    owner_field = "bucket"
    owner_kind = "artifact_bucket"
    name_pattern = r"[A-Za-z0-9_.-]{1,200}"
    name_hint = "letters, digits or _.- (it is a folder of the bucket)"

    def load_files(self, spec: ResourceSpec, base_dir: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
        """Checks the source folder; the zip itself is built by `build` (plan and apply only)."""
        assert isinstance(spec, CodeArtifactSpec)
        if "${" in spec.source:  # an unset variable: reported by validation, tolerated by destroy (no build)
            return {"artifact": None}, []
        from reconciler.packaging.programs import PROGRAMS

        root = (base_dir / spec.source).resolve()
        needed = ("pyproject.toml", "uv.lock", *PROGRAMS[spec.program].packages)
        missing = [name for name in needed if not (root / name).exists()]
        if missing:
            problem = Diagnostic(
                f"source: {spec.source!r} is not the project's folder (no {', '.join(missing)})",
                f"point source at the folder holding {', '.join(needed)} (the shipped stack.yaml reads it from "
                "SERVER_SOURCE, default: the stack file's folder; e.g. SERVER_SOURCE=/path/to/agentcore-stack)",
                file=str(base_dir / "stack.yaml"),
            )
            return {"artifact": None}, [problem]
        return {"artifact": None}, []

    def build(self, spec: ResourceSpec, base_dir: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
        """The packaged program (reconciler.packaging, imported here: only plan and apply load it)."""
        from reconciler.packaging import ENTRY_POINT, PackagingError
        from reconciler.packaging.programs import PROGRAMS, SERVER, package_program

        assert isinstance(spec, CodeArtifactSpec)
        if "${" in spec.source:
            return {}, []
        root, program = (base_dir / spec.source).resolve(), PROGRAMS[spec.program]
        try:
            artifact = package_program(program, project_root=root, platform=target_platform(spec.platform))
        except PackagingError as exc:
            return {}, [Diagnostic(f"packaging the {program.name} failed: {exc}", "fix the cause and re-run")]
        described = {
            "path": str(artifact.path),
            "sha256": artifact.sha256,
            "runtime": artifact.platform.runtime,
            "lambda_runtime": artifact.platform.lambda_runtime,
        }
        entry = {"entry_point": list(ENTRY_POINT)} if program == SERVER else {"handler": program.handler}
        return {"artifact": {**described, **entry, "files": list(artifact.files)}}, []

    def spec_files(self, spec: dict[str, Any], base_dir: Path) -> list[Path]:
        """What the zip is built from (the files it takes: reconciler/packaging/sources.py): a saved plan is
        stale once the server's code or the lock changes."""
        from reconciler.packaging.programs import PROGRAMS
        from reconciler.packaging.sources import UntrackedPackage, select_sources

        if "${" in spec["source"]:
            return []
        root, packages = (base_dir / spec["source"]).resolve(), PROGRAMS[spec.get("program", "server")].packages
        try:
            sources = [path for _, path in select_sources(root, packages).files]
        except UntrackedPackage:
            sources = []  # the build refused it already
        return [*sources, *(root / name for name in ("pyproject.toml", "uv.lock") if (root / name).exists())]

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"bucket": spec["bucket"], "key": _key(stack, name, spec["artifact"]["sha256"])}

    def owner_name(self, ctx: Context, child: Live) -> str | None:
        return str(child.outputs["bucket"])

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        bucket = spec["bucket"]
        if isinstance(bucket, Unknown):
            return None
        with ignore_missing(s3_missing) as missing:
            objects = list_keys(ctx, bucket, f"{ctx.stack}/{name}/")
        if missing:
            return None
        if not objects:
            return None
        artifact = spec.get("artifact") or {}
        wanted = _key(ctx.stack, name, artifact["sha256"]) if artifact.get("sha256") else None
        keys = {str(item["Key"]) for item in objects}
        newest = str(max(objects, key=lambda item: item["LastModified"])["Key"])
        live_key = wanted if wanted is not None and wanted in keys else newest
        return self._live(ctx, name, bucket, live_key, wanted or live_key, artifact)

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for bucket, live in parents.items():
            if live.owned:
                names = {item["Key"].split("/")[1] for item in list_keys(ctx, bucket, f"{ctx.stack}/")}
                found += [(name, {"bucket": bucket}) for name in sorted(names)]
        return found

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        artifact = spec["artifact"]
        key = _key(ctx.stack, name, artifact["sha256"])
        ctx.progress(f"uploading {Path(artifact['path']).stat().st_size / 1e6:.1f} MB to s3://{spec['bucket']}/{key}")
        with open(artifact["path"], "rb") as body:
            ctx.clients.s3.put_object(Bucket=spec["bucket"], Key=key, Body=body, ContentType="application/zip")
        return self._live(ctx, name, spec["bucket"], key, key, artifact)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        return self.create(ctx, live.name, spec)

    def delete(self, ctx: Context, live: Live) -> None:
        bucket = live.outputs["bucket"]
        keys = [{"Key": item["Key"]} for item in list_keys(ctx, bucket, f"{ctx.stack}/{live.name}/")]
        for start in range(0, len(keys), 1000):
            ctx.clients.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        """The artifacts in the buckets stacks own, by their keys `<stack>/<name>/<sha256>.zip` (`reconcile stacks`):
        an object carries no ownership tag of its own; every version of one artifact counts once."""
        found = set()
        for _, bucket in ctx.kinds["artifact_bucket"].owners(ctx):
            pages = ctx.clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for page in pages:
                for item in page.get("Contents", []):
                    parts = str(item["Key"]).split("/")
                    if len(parts) == 3 and parts[2].endswith(".zip"):
                        found.add((parts[0], parts[1]))
        return sorted(found)

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        """Objects are owned through their bucket, whose tags hold this artifact's applied fingerprint."""
        add_bucket_tags(ctx, live.outputs["bucket"], tags)

    def applied_key(self, name: str) -> str:
        return f"{APPLIED_TAG}:{name}"

    def applied_fingerprint(self, live: Live, parent: Live | None) -> str | None:
        return parent.tags.get(self.applied_key(live.name)) if parent else None

    def _live(self, ctx: Context, name: str, bucket: str, live_key: str, key: str, artifact: dict[str, Any]) -> Live:
        return Live(
            name=name,
            owned=True,
            document={"bucket": bucket, "key": live_key},
            outputs={
                "id": f"{bucket}/{key}",
                "bucket": bucket,
                "key": key,
                "sha256": key.rsplit("/", 1)[-1].removesuffix(".zip"),
                "runtime": artifact.get("runtime"),
                "lambda_runtime": artifact.get("lambda_runtime"),
            },
        )


def _key(stack: str, name: str, sha256: str) -> str:
    return f"{stack}/{name}/{sha256}.zip"
