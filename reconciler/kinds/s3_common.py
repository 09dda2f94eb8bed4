"""What the S3 kinds share: bucket tags (which S3 replaces whole on every write) and not-found codes."""

from __future__ import annotations

from typing import Any

from reconciler import aws
from reconciler.aws import error_code, ignore_missing
from reconciler.kinds.base import Context

NOT_FOUND = frozenset({"NoSuchBucket", "NoSuchKey", "NotFound", "404", "NoSuchTagSet", "NoSuchTagSetError"})


def s3_missing(exc: aws.ClientError) -> bool:
    return error_code(exc) in NOT_FOUND


def bucket_tags(ctx: Context, bucket: str) -> dict[str, str]:
    with ignore_missing(s3_missing) as missing:
        found = ctx.clients.s3.get_bucket_tagging(Bucket=bucket)
    if missing:
        return {}
    return {tag["Key"]: tag["Value"] for tag in found.get("TagSet", [])}


def add_bucket_tags(ctx: Context, bucket: str, tags: dict[str, str]) -> None:
    """PutBucketTagging replaces the whole set: merge with what is there."""
    merged = {**bucket_tags(ctx, bucket), **tags}
    ctx.clients.s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(merged.items())]}
    )


def list_keys(ctx: Context, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    pages = ctx.clients.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item for page in pages for item in page.get("Contents", [])]
