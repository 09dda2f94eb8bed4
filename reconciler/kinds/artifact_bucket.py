"""The S3 bucket the Runtime's code artifacts are uploaded to (issue 14).

Private: all four public-access blocks on; encrypted by default (SSE-S3, AES256); tagged with the
owner. Destroy deletes this stack's objects in it (under `<stack>/`, where code_artifact puts them),
then the bucket only when nothing else is left: a bucket still holding other objects is kept and
named (ResourceKept, not a failure: the stack's part of the destroy is done). Names are global
across all AWS accounts: the default `<stack>-<resource>` may be taken; set `name:` (lower-case,
3-63 characters).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from reconciler import aws
from reconciler.aws import error_code, ignore_missing
from reconciler.kinds.base import Context, Kind, ResourceSpec
from reconciler.kinds.s3_common import add_bucket_tags, bucket_tags, list_keys, s3_missing
from reconciler.kinds.waiting import ResourceKept
from reconciler.live import OWNER_TAG, Live

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


FORBIDDEN = (
    "the bucket exists but this account may not read it: S3 names are global, so it is most likely another "
    "account's; give the artifact_bucket a name of your own (the shipped stack reads ARTIFACT_BUCKET)"
)


class ArtifactBucketSpec(ResourceSpec):
    kind: Literal["artifact_bucket"]


class ArtifactBucket(Kind):
    kind = "artifact_bucket"
    spec_model = ArtifactBucketSpec
    discovery_group = "runtime"
    attributes = frozenset({"name", "arn"})
    name_pattern = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
    name_hint = "3-63 lower-case letters, digits, dots or hyphens, globally unique"

    def default_name(self, stack: str, logical: str) -> str:
        return f"{stack}-{logical.replace('_', '-')}".lower()

    def desired(self, name: str, spec: dict[str, Any], *, stack: str, current: Live | None = None) -> dict[str, Any]:
        return {"public_access_block": dict(BLOCK_ALL), "encryption": "AES256"}

    def read(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live | None:
        s3 = ctx.clients.s3
        try:
            s3.head_bucket(Bucket=name)
        except aws.ClientError as exc:
            if s3_missing(exc):
                return None
            if error_code(exc) in ("403", "AccessDenied", "Forbidden"):  # HeadBucket's 403 has no body to say why
                said = {**exc.response, "Error": {**exc.response["Error"], "Message": FORBIDDEN}}
                raise aws.ClientError(said, exc.operation_name) from exc
            raise
        block, encryption, tags = ctx.gather(
            lambda: _public_access_block(ctx, name), lambda: _encryption(ctx, name), lambda: bucket_tags(ctx, name)
        )
        return Live(
            name=name,
            owned=tags.get(OWNER_TAG) == ctx.stack,
            document={"public_access_block": block, "encryption": encryption},
            outputs={"id": name, "name": name, "arn": f"arn:aws:s3:::{name}"},
            tags=tags,
        )

    def discover(self, ctx: Context, parents: dict[str, Live]) -> list[tuple[str, dict[str, Any]]]:
        buckets = ctx.clients.s3.list_buckets().get("Buckets", [])
        return [(b["Name"], {}) for b in buckets if b["Name"].startswith(f"{ctx.stack}-".lower())]

    def create(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        s3 = ctx.clients.s3
        region = ctx.clients.region
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **where)
        add_bucket_tags(ctx, name, ctx.owner_tags)
        return self._secure(ctx, name, spec)

    def update(self, ctx: Context, live: Live, spec: dict[str, Any]) -> Live:
        return self._secure(ctx, live.name, spec)

    def delete(self, ctx: Context, live: Live) -> None:
        keys, prefix = [item["Key"] for item in list_keys(ctx, live.name)], f"{ctx.stack}/"
        own = [key for key in keys if key.startswith(prefix)]
        for start in range(0, len(own), 1000):
            batch = [{"Key": key} for key in own[start : start + 1000]]
            ctx.clients.s3.delete_objects(Bucket=live.name, Delete={"Objects": batch, "Quiet": True})
        foreign = [key for key in keys if not key.startswith(prefix)]
        if foreign:
            raise ResourceKept(
                f"it holds {len(foreign)} object(s) that are not artifacts of stack {ctx.stack!r} "
                f"(e.g. {foreign[0]!r}); move or delete them, then re-run to delete the bucket"
            )
        with ignore_missing(s3_missing):
            ctx.clients.s3.delete_bucket(Bucket=live.name)

    def owners(self, ctx: Context) -> list[tuple[str, str]]:
        """Buckets of this region (ListBuckets lists the account's, every region's) with an ownership tag."""
        pages = ctx.clients.s3.get_paginator("list_buckets").paginate(BucketRegion=ctx.clients.region)
        names = [bucket["Name"] for page in pages for bucket in page.get("Buckets", [])]
        found = [(bucket_tags(ctx, name).get(OWNER_TAG), name) for name in names]
        return [(stack, name) for stack, name in found if stack]

    def tag(self, ctx: Context, live: Live, tags: dict[str, str]) -> None:
        add_bucket_tags(ctx, live.name, tags)

    def _secure(self, ctx: Context, name: str, spec: dict[str, Any]) -> Live:
        ctx.clients.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(BLOCK_ALL))
        ctx.clients.s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=SSE_S3)
        found = self.read(ctx, name, spec)
        assert found is not None
        return found


def _public_access_block(ctx: Context, name: str) -> dict[str, bool]:
    with ignore_missing(_missing_or("NoSuchPublicAccessBlockConfiguration")):
        found = ctx.clients.s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        return {key: bool(found.get(key)) for key in BLOCK_ALL}
    return {key: False for key in BLOCK_ALL}


def _encryption(ctx: Context, name: str) -> str | None:
    with ignore_missing(_missing_or("ServerSideEncryptionConfigurationNotFound")):
        rules = ctx.clients.s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        return str(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]) if rules else None
    return None


def _missing_or(code: str) -> Callable[[aws.ClientError], bool]:
    """The bucket is gone, or it has no such configuration (S3 answers that with an error named `code`)."""
    return lambda exc: code in str(exc) or s3_missing(exc)
