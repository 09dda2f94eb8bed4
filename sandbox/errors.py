"""AWS-shaped errors for the rest-json protocol: botocore reads the type from x-amzn-ErrorType."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def response(self) -> Response:
        body = json.dumps({"__type": self.code, "message": self.message, "Message": self.message})
        return Response(
            body, status=self.status, content_type="application/json", headers={"x-amzn-ErrorType": self.code}
        )


def not_found(what: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"{what} not found", 404)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def conflict(message: str) -> AwsError:
    return AwsError("ConflictException", message, 409)
