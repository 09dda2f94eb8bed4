"""`reconcile`: validate, plan, apply, destroy, adopt, output. Parse, call the engine, render,
choose the exit code (0 ok / no changes, 1 error, 2 changes with --detailed-exitcode)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.client_config import CLIENTS, DOORS
from reconciler.command_line import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    Commands,
    Fail,
    Lock,
    View,
    aws_options,
    colour_wanted,
    config_written_option,
    engine_settings,
    handle_errors,
    lock_options,
    locked,
    progress,
    selection_options,
    stack_option,
    view_options,
)

if TYPE_CHECKING:
    from reconciler.applying import ApplyResult
    from reconciler.engine import Snapshot
    from reconciler.kinds import Kinds
    from reconciler.plan import Plan
    from reconciler.saved_plan import SavedPlan

# The engine, the kinds, botocore and the packager are imported by the commands that use them, so that
# `reconcile --help` loads none of them and `validate` only the spec's models.


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def main() -> None:
    """Declarative reconciler for the AgentCore GitHub MCP stack.

    Desired state lives in stack.yaml (+ openapi/github.yaml); live state is read from AWS on
    every run (no state file). Resources are found by name and changed only when they carry the
    tag reconcile:stack=<stack>.

    \b
    Typical use:
      reconcile validate            check the spec, no AWS call
      reconcile plan                show what would change
      reconcile apply               change AWS to match, write config.json
      reconcile destroy             delete what this stack owns
    \b
    Exit codes: 0 success / no changes, 1 error, 2 changes present (plan --detailed-exitcode).
    AWS access follows boto3: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL (e.g. the sandbox).
    """


@main.command()
@stack_option
@handle_errors
def validate(stack_file: Path) -> None:
    """Check stack.yaml and its OpenAPI files without calling AWS. Needs no secret: a sensitive field whose
    variable is unset is valid here (plan says it was not compared; apply requires it)."""
    from reconciler.stack import load_stack

    stack = load_stack(stack_file, build=False, secrets_optional=True)
    kinds = ", ".join(f"{r.logical} ({r.kind})" for r in (stack.resources[k] for k in stack.order()))
    click.echo(f"{stack_file}: valid. Stack {stack.name!r}, {len(stack.resources)} resources in apply order: {kinds}.")


@main.command()
@stack_option
@aws_options
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable plan (same as --format json).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people; json (schema in the README); markdown for a pull-request comment or job summary.",
)
@click.option(
    "--markdown",
    "markdown_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none, 1 on error.")
@click.option("--destroy", is_flag=True, help="Show what `reconcile destroy` would delete (and keep), change nothing.")
@click.option(
    "--refresh-only",
    is_flag=True,
    help="Drift only: what changed outside reconcile since the last apply (console edits, deleted targets, "
    "retagged resources), not what the stack file asks; --detailed-exitcode exits 2 on drift.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan: `reconcile apply FILE` applies exactly it, or refuses if anything changed since.",
)
@selection_options
@lock_options
@view_options
@handle_errors
def plan(
    stack_file: Path,
    profile: str | None,
    region: str | None,
    as_json: bool,
    output_format: str,
    markdown_file: Path | None,
    detailed_exitcode: bool,
    destroy: bool,
    refresh_only: bool,
    out: Path | None,
    targets: frozenset[str],
    forced: frozenset[str],
    lock: Lock,
    view: View,
) -> None:
    """Show what apply (or, with --destroy, destroy) would change, field by field.

    Policies and the OpenAPI document are shown in full: whole in a create, and as a structural
    diff in an update (unchanged parts collapsed; --show-unchanged shows them). Secrets show as
    (sensitive). Lines start with + (add), - (remove), ~ (change) or -/+ (replace), ready for a
    ```diff block.
    """
    from reconciler.command_line import source_commit
    from reconciler.engine import open_stack, read_snapshot
    from reconciler.rendering import format_json, format_markdown, plan_document
    from reconciler.saved_plan import fingerprints, write_plan_file

    if out is not None and refresh_only:
        raise Fail("--out saves a plan to apply; a --refresh-only plan only reports drift (plan without it to save)")
    stack, ctx = open_stack(
        stack_file,
        profile=profile,
        region=region,
        progress=progress,
        build=not destroy,
        lenient=destroy,
        secrets_optional=True,
        settings=engine_settings(),
    )
    # A saved plan reads under the stack's lock, so no apply is half done while it reads.
    with locked(ctx, stack.name, "plan --out", lock) if out is not None else nullcontext():
        snapshot = read_snapshot(stack, ctx)
    if refresh_only:
        the_plan = snapshot.plan_drift()
        progress(f"Drift: {len(the_plan.changes)} resource(s) changed outside reconcile since the last apply.")
    else:
        the_plan = snapshot.plan_destroy() if destroy else snapshot.plan(targets=targets, forced=forced)
    _fail_on_errors(the_plan)
    header = {"stack": stack.name, "region": ctx.clients.region, "commit": source_commit(stack_file)}
    markdown = markdown_file is not None or output_format == "markdown"
    shown = markdown or not (as_json or output_format == "json")  # a view that sets drift apart
    drift = snapshot.plan_drift() if shown and not refresh_only and not destroy else None
    drift_document = plan_document(drift) if markdown and drift is not None and drift.changes else None
    if as_json or output_format == "json":
        click.echo(format_json(the_plan))
    elif output_format == "markdown":
        click.echo(format_markdown(plan_document(the_plan), context=header, drift=drift_document))
    else:
        if drift is not None:
            _print_drift(drift)
        view.print_plan(the_plan)
    if markdown_file is not None:
        with markdown_file.open("a", encoding="utf-8") as handle:  # $GITHUB_STEP_SUMMARY is appended to
            handle.write(format_markdown(plan_document(the_plan), context=header, drift=drift_document))
    _print_warnings(the_plan)
    if out is not None:
        prints = fingerprints(snapshot.stack, snapshot.live)
        write_plan_file(
            out,
            the_plan,
            prints,
            region=ctx.clients.region,
            mode="destroy" if destroy else "apply",
            targets=targets,
            forced=forced,
        )
        click.echo(f"Saved the plan to {out}: `reconcile apply {out}` applies exactly it.", err=True)
    sys.exit(EXIT_CHANGES if detailed_exitcode and the_plan.has_changes else EXIT_OK)


@main.command()
@stack_option
@aws_options
@config_written_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (required when stdin is not a terminal).")
@click.option("--parallelism", default=4, show_default=True, help="Resources changed at once.")
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@selection_options
@lock_options
@view_options
@handle_errors
def apply(
    stack_file: Path,
    profile: str | None,
    region: str | None,
    config_path: Path,
    auto_approve: bool,
    parallelism: int,
    plan_file: Path | None,
    targets: frozenset[str],
    forced: frozenset[str],
    lock: Lock,
    view: View,
) -> None:
    """Make AWS match stack.yaml, then write config.json.

    Resources are changed in dependency order, independent ones in parallel; each is waited for
    until AWS reports a terminal state. Safe to re-run after any interruption.

    With PLAN_FILE (from `reconcile plan --out`), plans again from the stack and the live state and
    applies that plan without asking only if it is the saved one; otherwise refuses (exit 1, naming
    what differs) and changes nothing. Secrets are read from the environment and compared: a secret
    the saved plan did not compare that has changed makes it stale.
    """
    from reconciler.applying import apply_plan
    from reconciler.engine import open_stack, read_snapshot
    from reconciler.saved_plan import read_plan_file

    if plan_file is not None and (targets or forced):
        raise Fail("a saved plan carries its own --target and --replace: give them to `reconcile plan --out`")
    saved = read_plan_file(plan_file) if plan_file is not None else None
    destroying = saved is not None and saved.mode == "destroy"  # loaded as `plan --destroy` loads it
    stack, ctx = open_stack(
        stack_file,
        profile=profile,
        region=region,
        progress=progress,
        build=not destroying,
        lenient=destroying,
        settings=engine_settings(),
    )
    with locked(ctx, stack.name, "apply", lock):
        snapshot = read_snapshot(stack, ctx)
        if plan_file is None:
            the_plan = snapshot.plan(targets=targets, forced=forced)
            view.print_plan(the_plan)
            _print_warnings(the_plan)
            _fail_on_errors(the_plan)
        else:
            the_plan = _saved_plan(saved, snapshot)
            view.print_plan(the_plan)
            if destroying:
                _report(apply_plan(ctx, the_plan, parallelism=parallelism), "Destroy")
                _remove_config(config_path, stack.name)
                return
            auto_approve = True  # reviewed when it was saved
        _apply(snapshot, the_plan, config_path, auto_approve, parallelism)


def _saved_plan(saved: SavedPlan | None, snapshot: Snapshot) -> Plan:
    """The plan made now, if it is the saved one (StalePlan otherwise)."""
    from reconciler.saved_plan import verified_plan

    assert saved is not None
    the_plan = verified_plan(saved, snapshot.stack, snapshot.live, region=snapshot.ctx.clients.region)
    _fail_on_errors(the_plan)
    return the_plan


def _apply(snapshot: Snapshot, the_plan: Plan, config_path: Path, auto_approve: bool, parallelism: int) -> None:
    from handoff.config import write_config
    from reconciler.applying import apply_plan
    from reconciler.handing_off import build_hand_off

    if the_plan.has_changes:
        _confirm(auto_approve, "apply these changes")
    result = apply_plan(snapshot.ctx, the_plan, parallelism=parallelism)
    if the_plan.has_changes:
        _report(result, "Apply")
    hand_off = build_hand_off(the_plan, result.lives, region=snapshot.ctx.clients.region, kinds=snapshot.stack.kinds)
    write_config(config_path, hand_off)
    click.echo(f"Wrote {config_path}.")
    _print_notices(the_plan, result, snapshot.stack.kinds)


@main.command()
@stack_option
@aws_options
@config_written_option
@click.option("--auto-approve", is_flag=True, help="Destroy without asking (required when stdin is not a terminal).")
@lock_options
@view_options
@handle_errors
def destroy(
    stack_file: Path,
    profile: str | None,
    region: str | None,
    config_path: Path,
    auto_approve: bool,
    lock: Lock,
    view: View,
) -> None:
    """Delete every resource this stack owns, dependents first. Keeps (and names) what it does not own.

    `reconcile plan --destroy` shows the same plan without changing anything.
    """
    from reconciler.applying import apply_plan
    from reconciler.engine import open_stack, read_snapshot

    stack, ctx = open_stack(
        stack_file,
        profile=profile,
        region=region,
        progress=progress,
        build=False,
        lenient=True,
        settings=engine_settings(),
    )
    with locked(ctx, stack.name, "destroy", lock):
        the_plan = read_snapshot(stack, ctx).plan_destroy()
        view.print_plan(the_plan)
        _print_warnings(the_plan)
        if the_plan.has_changes:
            _confirm(auto_approve, "destroy these resources")
            _report(apply_plan(ctx, the_plan), "Destroy")
    _remove_config(config_path, stack.name)


@main.command()
@stack_option
@aws_options
@click.option(
    "--principal",
    metavar="ARN",
    help="Check this IAM user or role instead of yourself (an administrator checking a pipeline's role).",
)
@handle_errors
def preflight(stack_file: Path, profile: str | None, region: str | None, principal: str | None) -> None:
    """Check, before an apply, that you may make every call it makes, and that the account is ready.

    \b
    Permissions: every IAM action this stack's kinds need (README "Against AWS", from the one
    table in reconciler/permissions.py), on the resource patterns filled with the stack's name,
    region, account and bucket, asked of IAM's policy simulator (iam:SimulatePrincipalPolicy) for
    you: STS names the caller; a role session is checked as its role (iam:GetRole finds its path).
    What is missing is printed on stdout as an IAM policy to attach; the rest goes to stderr:

    \b
      reconcile preflight > missing.json
      aws iam put-role-policy --role-name deployer --policy-name reconcile \\
          --policy-document file://missing.json

    \b
    Account: AgentCore answers in the region; each artifact bucket's (global) name is free or
    already this stack's.

    Exit 0 when everything is allowed and ready, 1 otherwise (or on an error). Needs
    iam:SimulatePrincipalPolicy on yourself. Checks identity policies (on AWS also your permissions
    boundary and SCPs), not resource policies; a policy narrower than the listed patterns (one role
    by name) shows as missing although apply may pass. The account's root user has no policies to
    simulate: only the account checks run. Changes nothing; needs no secret.
    """
    from reconciler.aws import make_client
    from reconciler.engine import open_stack
    from reconciler.preflight import format_policy, format_report, run_preflight

    stack, ctx = open_stack(
        stack_file,
        profile=profile,
        region=region,
        progress=progress,
        build=False,
        lenient=True,
        secrets_optional=True,
        settings=engine_settings(),
    )
    sts = make_client("sts", profile=profile, region=ctx.clients.region)
    report = run_preflight(stack, ctx.clients, sts, progress, principal=principal)
    click.secho(format_report(report), fg="green" if report.ok else "red", err=True, color=colour_wanted())
    if report.denials:
        click.echo(format_policy(report))
    if not report.ok:
        sys.exit(EXIT_ERROR)


@main.command()
@stack_option
@aws_options
@click.argument("address")
@click.option("--auto-approve", is_flag=True, help="Adopt without asking.")
@handle_errors
def adopt(stack_file: Path, profile: str | None, region: str | None, address: str, auto_approve: bool) -> None:
    """Take ownership of an existing resource named like ADDRESS in stack.yaml (tags it).

    Run `reconcile plan` afterwards: the next apply will bring it in line with the spec.
    A gateway target is owned through its gateway: adopt the gateway.
    """
    from reconciler.engine import take_snapshot

    snapshot = take_snapshot(
        stack_file, profile=profile, region=region, progress=progress, build=False, settings=engine_settings()
    )
    decl = snapshot.stack.resources.get(address)
    if decl is None:
        raise Fail(f"no resource {address!r} in {stack_file}; resources are: {', '.join(snapshot.stack.resources)}")
    live = snapshot.live.resources.get(address)
    if live is None:
        raise Fail(f"{decl.kind} {decl.name!r} does not exist; nothing to adopt (apply will create it)")
    if live.owned:
        click.echo(f"{decl.kind} {decl.name!r} is already owned by stack {snapshot.stack.name!r}.")
        return
    kind = snapshot.stack.kinds[decl.kind]
    if kind.owner_field:
        raise Fail(f"{decl.kind} {decl.name!r} is owned through its {kind.owner_kind}: adopt that instead")
    _confirm(auto_approve, f"tag {decl.kind} {decl.name!r} with reconcile:stack={snapshot.stack.name}")
    kind.adopt(snapshot.ctx, live)
    click.echo(f"Adopted {decl.kind} {decl.name!r}. Run `reconcile plan` to see what apply will change.")


@main.command()
@stack_option
@aws_options
@click.argument("lock_id")
@handle_errors
def unlock(stack_file: Path, profile: str | None, region: str | None, lock_id: str) -> None:
    """Remove the stack's lock left by a run that died (Terraform's force-unlock).

    LOCK_ID is printed in the error of the run that found the lock. Only that lock is removed: if
    another run holds it meanwhile, nothing is.
    """
    from reconciler.engine import open_stack
    from reconciler.locking import force_unlock

    stack, ctx = open_stack(
        stack_file,
        profile=profile,
        region=region,
        progress=progress,
        build=False,
        lenient=True,
        settings=engine_settings(),
    )
    holder = force_unlock(ctx.clients.ssm, stack.name, lock_id)
    click.echo(f"Removed the lock of stack {stack.name!r} held by {holder.describe()}.")


@main.command()
@aws_options
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@handle_errors
def stacks(profile: str | None, region: str | None) -> None:
    """List every stack that owns resources in the region (by the reconcile:stack tag), with counts.

    Leftovers of a renamed stack show up here: `reconcile destroy` with the old name removes them.
    """
    from reconciler.aws import make_clients
    from reconciler.kinds import all_kinds
    from reconciler.kinds.base import Context

    clients = make_clients(profile=profile, region=region)
    ctx = Context.configured(
        clients=clients, stack="", progress=progress, settings=engine_settings(), kinds=all_kinds()
    )
    progress(f"Listing stacks in {clients.region}...")
    counts: dict[str, Counter[str]] = {}
    for kind in ctx.kinds.values():
        for stack, _ in kind.owners(ctx):
            counts.setdefault(stack, Counter())[kind.kind] += 1
    if not counts:
        click.echo(f"No stack owns resources in {clients.region}.")
    for stack, kinds in sorted(counts.items()):
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        click.echo(f"{stack}  {sum(kinds.values())} resource(s): {detail}")


@main.command()
@config_written_option
@click.option("--json", "as_json", is_flag=True, help="Print config.json as JSON.")
@click.option(
    "--client",
    type=click.Choice(sorted(CLIENTS)),
    help="Print the entry that connects this MCP client to the stack's server, and where it goes. It holds no "
    "token: each user signs in by themselves.",
)
@click.option(
    "--door",
    type=click.Choice(DOORS),
    help="sigv4: mcp-connect signs the user in and signs requests with their AWS profile (a runtime with "
    "AWS_IAM inbound). oauth: the client's own remote-HTTP entry; it signs in by itself (CUSTOM_JWT inbound). "
    "[default: the runtime's]",
)
@click.option(
    "--profile",
    envvar="AWS_PROFILE",
    help="The AWS profile mcp-connect signs with (sigv4; default $AWS_PROFILE). Put it in the entry: a client "
    "started from the dock has no AWS_* variables.",
)
@click.option(
    "--source",
    help="Where the user's uvx gets mcp-connect: this project's git URL (git+https://...) or folder [default: "
    "this installation's folder].",
)
@click.option(
    "--mcp-url",
    help="A locally run mcp-server's URL (e.g. http://localhost:8000/mcp) instead of the stack's AgentCore "
    "Runtime (with --client).",
)
@click.argument("key", required=False)
@handle_errors
def output(
    config_path: Path,
    as_json: bool,
    client: str | None,
    door: str | None,
    profile: str | None,
    source: str | None,
    mcp_url: str | None,
    key: str | None,
) -> None:
    """Print the values apply wrote to config.json (or one KEY, e.g. gateway.url).

    With --client NAME (claude-desktop, claude-code, cursor, vscode), print the JSON to merge into that
    client's MCP configuration, and (on stderr) where its file lives. No entry holds a token. Through the
    SigV4 door every client runs mcp-connect over stdio, which signs the user in once in their browser
    and signs each request with their AWS profile; through the OAuth door the client gets the runtime's
    URL and signs in by itself (README "Doors").

    \b
    reconcile output --client cursor --profile dev            # SigV4 door
    reconcile output --client vscode --door oauth             # OAuth door
    reconcile output --client claude-code --mcp-url http://localhost:8000/mcp
    """
    from handoff.config import read_raw

    config: Any = read_raw(config_path)
    if client:
        _print_client_entry(config, config_path, client, door=door, profile=profile, source=source, mcp_url=mcp_url)
        return
    if key:
        for part in key.split("."):
            if not isinstance(config, dict) or part not in config:
                raise Fail(f"no key {key!r} in {config_path}")
            config = config[part]
    if as_json or isinstance(config, (dict, list)):
        click.echo(json.dumps(config, indent=2))
    else:
        click.echo(config)


def _print_drift(drift: Plan) -> None:
    """Terraform's "Objects have changed outside of Terraform": what the plan below puts back, set apart from what
    the stack file asks for (`plan --refresh-only` shows those changes alone)."""
    from reconciler.terminal import printable

    if not drift.changes:
        return
    click.secho("Changed outside reconcile since the last apply:", bold=True)
    for change in drift.changes:
        click.echo(printable(f"  {change.kind}.{change.address} [{change.name}]: {change.reason}"))
    click.echo("The plan below puts them back as the stack file asks, with the file's own changes.\n")


def _print_client_entry(
    config: Any,
    config_path: Path,
    client: str,
    *,
    door: str | None,
    profile: str | None,
    source: str | None,
    mcp_url: str | None,
) -> None:
    from reconciler.client_config import SignIn, client_config

    runtime = config.get("runtime") or {}
    url = mcp_url or runtime.get("invocation_url")
    if not url:
        raise Fail(
            f"{config_path} names no AgentCore Runtime (declare an agent_runtime in the stack and apply), "
            "so say where your mcp-server runs: --mcp-url http://localhost:8000/mcp"
        )
    door = door or ("oauth" if runtime.get("authorizer") == "CUSTOM_JWT" and not mcp_url else "sigv4")
    spec = CLIENTS[client]
    if door == "oauth":
        entry = client_config(client, door=door, url=url)
        if entry is None:
            click.echo(url)
            click.echo(
                f"\n{spec.label} keeps remote servers out of its config file: Settings > Connectors > Add custom "
                "connector, with the URL above; it signs you in by itself.",
                err=True,
            )
            return
    else:
        authorizer = (config.get("gateway") or {}).get("authorizer") or {}
        if not authorizer.get("discovery_url"):
            raise Fail(
                f"{config_path}'s gateway names no identity provider (its authorizer is not CUSTOM_JWT), so there is "
                "no one for mcp-connect to sign users in with"
            )
        clients, scopes = authorizer.get("allowed_clients") or [], authorizer.get("allowed_scopes") or []
        sign_in = SignIn(
            url=url,
            region=config["region"],
            issuer=authorizer["discovery_url"],
            client_id=clients[0] if len(clients) == 1 else None,
            scope=" ".join(["openid", "offline_access", *scopes]) if scopes else None,
            profile=profile,
            source=source or str(Path(__file__).resolve().parents[1]),
        )
        entry = client_config(client, door=door, url=url, sign_in=sign_in)
    click.echo(json.dumps(entry, indent=2))
    click.echo(f"\n{spec.label}: merge the entry under {spec.key!r} into", err=True)
    for where in spec.files:
        click.echo(f"  {where}", err=True)
    if door == "sigv4" and not profile:
        click.echo(
            "Add --profile NAME (the AWS profile each user signs with): a client started from the dock has no "
            "AWS_* variables.",
            err=True,
        )


def _remove_config(config_path: Path, stack: str) -> None:
    """Only this stack's hand-off: a config.json written for another stack stays."""
    from handoff.config import ConfigError, read_raw

    if not config_path.exists():
        return
    try:
        owner = read_raw(config_path).get("stack")
    except ConfigError:
        owner = None
    if owner != stack:
        click.secho(f"Kept {config_path}: it was written for stack {owner!r}, not {stack!r}.", fg="yellow", err=True)
        return
    config_path.unlink()
    click.echo(f"Removed {config_path}.")


def _print_warnings(the_plan: Plan) -> None:
    for d in the_plan.diagnostics:
        if d.severity == "warning":
            click.secho(d.format(), fg="yellow", err=True)


def _fail_on_errors(the_plan: Plan) -> None:
    from reconciler.diagnostics import DiagnosticsError

    if the_plan.errors:
        raise DiagnosticsError(list(the_plan.errors))


def _confirm(auto_approve: bool, what: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise Fail(f"refusing to prompt: stdin is not a terminal. Re-run with --auto-approve to {what}.")
    if not click.confirm(f"Do you want to {what}?", default=False):
        raise Fail("cancelled; nothing was changed")


def _report(result: ApplyResult, verb: str) -> None:
    """A kept resource (a delete its kind declined on purpose) is a warning: the run still did all it should."""
    for outcome in result.outcomes:
        if outcome.error:
            click.secho(f"{'Skipped' if outcome.skipped else 'Error'}: {outcome.error}", fg="red", err=True)
        elif outcome.kept:
            click.secho(f"Warning: {outcome.kept}", fg="yellow", err=True)
    if not result.ok:
        failed = sum(1 for o in result.outcomes if o.error and not o.skipped)
        skipped = sum(1 for o in result.outcomes if o.skipped)
        raise Fail(
            f"{verb} stopped: {failed} resource(s) failed and {skipped} that depend on them were skipped (see above). "
            "Fix the cause and re-run; finished changes are kept and the next run picks up from the live state."
        )
    kept = sum(1 for o in result.outcomes if o.kept)
    also = f", {kept} kept" if kept else ""
    click.secho(f"{verb} complete: {result.changed} resource(s) changed{also}.", fg="green")


def _print_notices(the_plan: Plan, result: ApplyResult, kinds: Kinds) -> None:
    """What the user must do next (a kind's `notices`), between rows of ! so it cannot be missed."""
    for change in the_plan.changes:
        live = result.lives.get(change.address)
        for notice in kinds[change.kind].notices(change.current, live) if live else ():
            click.secho("!" * 78, fg="yellow", bold=True)
            click.secho(notice, fg="yellow", bold=True)
            click.secho("!" * 78, fg="yellow", bold=True)
