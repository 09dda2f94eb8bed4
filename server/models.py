"""Structured outputs of the tools (their MCP outputSchema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuthorizationRequired(BaseModel):
    """Set instead of data when the user has not yet let the gateway use their GitHub account."""

    url: str = Field(description="Open this link, approve, then call the tool again.")
    message: str


class Repository(BaseModel):
    name: str
    full_name: str
    private: bool
    description: str | None = None
    url: str
    stars: int = 0
    language: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_github(cls, repo: dict[str, Any]) -> Repository:
        return cls(
            name=repo.get("name", ""),
            full_name=repo.get("full_name", ""),
            private=bool(repo.get("private")),
            description=repo.get("description"),
            url=repo.get("html_url", ""),
            stars=int(repo.get("stargazers_count") or 0),
            language=repo.get("language"),
            updated_at=repo.get("updated_at"),
        )


class RepositoriesPage(BaseModel):
    repositories: list[Repository] = []
    page: int
    per_page: int
    has_more: bool = Field(description="True when the page is full, so another page may follow.")
    authorization_required: AuthorizationRequired | None = None


class Profile(BaseModel):
    login: str | None = None
    name: str | None = None
    bio: str | None = None
    public_repos: int | None = None
    followers: int | None = None
    following: int | None = None
    url: str | None = None
    authorization_required: AuthorizationRequired | None = None

    @classmethod
    def from_github(cls, user: dict[str, Any]) -> Profile:
        return cls(
            login=user.get("login"),
            name=user.get("name"),
            bio=user.get("bio"),
            public_repos=user.get("public_repos"),
            followers=user.get("followers"),
            following=user.get("following"),
            url=user.get("html_url"),
        )
