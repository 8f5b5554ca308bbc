"""Preflight: ordered gates that run before anything reaches the engine.

1. the Pulumi CLI is on PATH and at least `MIN_PULUMI_VERSION` (else: how to install it);
2. the state backend is reachable and logged in (`pulumi whoami` against it);
3. credentials exist for every cloud the environment (and its backend and secrets provider)
   uses, and the passphrase when the passphrase provider is used; every missing item is
   reported at once;
4. the environment config validates (exit 2);
5. the offline policy check passes (exit 5).

Each gate is a function over injectable `Probes` (which / env / run / home), so tests fake the
machine instead of needing one. A failing gate raises a typed error; nothing is started.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cli.engine.errors import (
    INSTALL_HINT,
    BackendAuthError,
    BackendUnreachableError,
    CredentialsMissingError,
    EngineConfigError,
    PolicyFailedError,
    PulumiMissingError,
    PulumiVersionError,
    locked_error,
)
from cli.engine.masking import Masker, redact_url
from cli.project import Project

MIN_PULUMI_VERSION = (3, 226, 1)
"""First CLI with the documented exit-code taxonomy (2 config ... 8 cancelled)."""

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_BACKEND_AUTH = re.compile(
    r"PULUMI_ACCESS_TOKEN|not logged in|unauthori[sz]ed|\b401\b|\b403\b|forbidden|NoCredentialProviders|"
    r"no valid credential|AuthorizationFailure|AuthenticationFailed|InvalidAccessKeyId|SignatureDoesNotMatch|"
    r"ExpiredToken|DefaultAzureCredential|az login|AADSTS|credentials",
    re.IGNORECASE,
)
TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class RunResult:
    """What a probe command returned."""

    code: int
    stdout: str = ""
    stderr: str = ""


def _system_run(args: Sequence[str], extra_env: Mapping[str, str] | None = None, timeout: float = 60.0) -> RunResult:
    env = {**os.environ, **(extra_env or {})}
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except FileNotFoundError:
        return RunResult(127, "", f"{args[0]}: not found")
    except subprocess.TimeoutExpired:
        return RunResult(124, "", f"{args[0]}: timed out after {timeout:.0f}s")
    except OSError as err:
        return RunResult(126, "", f"{args[0]}: {err.strerror}")
    return RunResult(done.returncode, done.stdout or "", done.stderr or "")


@dataclass(frozen=True)
class Probes:
    """How the gates look at the machine; tests pass fakes."""

    which: Callable[[str], str | None] = shutil.which
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    run: Callable[..., RunResult] = _system_run
    home: Path = field(default_factory=Path.home)


# --- backend and secrets provider -----------------------------------------------------

BACKEND_SCHEMES = ("file", "s3", "azblob", "gs", "https", "http")
SECRETS_SCHEMES = ("passphrase", "default", "azurekeyvault", "awskms", "gcpkms", "hashivault")


@dataclass(frozen=True)
class Backend:
    """Where the state lives, and which setting chose it."""

    url: str
    source: str

    @property
    def kind(self) -> str:
        scheme = urlsplit(self.url).scheme
        return "cloud" if scheme in ("https", "http") else scheme

    @property
    def display(self) -> str:
        return redact_url(self.url)

    @property
    def local_path(self) -> Path | None:
        if self.kind != "file":
            return None
        raw = self.url[len("file://") :]
        return Path(raw).expanduser()


def resolve_backend(flag: str | None, environ: Mapping[str, str], configured: str | None, project: Project) -> Backend:
    """--backend > PULUMI_BACKEND_URL > infra:deployment.backend_url > file://<project>/.infra/state."""
    for value, source in (
        (flag, "--backend"),
        (environ.get("PULUMI_BACKEND_URL"), "PULUMI_BACKEND_URL"),
        (configured, "infra:deployment.backend_url"),
    ):
        if value:
            scheme = urlsplit(value).scheme
            if scheme not in BACKEND_SCHEMES:
                raise EngineConfigError(
                    f"{source} {redact_url(value)}: unsupported backend; use file://, s3://, azblob://, gs:// "
                    "or https://api.pulumi.com (Pulumi Cloud)"
                )
            return Backend(value, source)
    state = project.state_dir / "state"
    return Backend(f"file://{state.resolve()}", "default")


def resolve_secrets_provider(configured: str | None) -> str:
    """The secrets provider: infra:deployment.secrets_provider, else the passphrase provider."""
    provider = configured or "passphrase"
    scheme = provider.split("://", 1)[0] if "://" in provider else provider
    if scheme not in SECRETS_SCHEMES:
        raise EngineConfigError(
            f"infra:deployment.secrets_provider {provider!r}: unsupported; use passphrase, "
            "azurekeyvault://<vault>.vault.azure.net/keys/<key>, awskms://<key-id-or-alias>?region=<region> "
            "or default (Pulumi Cloud)"
        )
    return provider


def ensure_local_state(backend: Backend) -> None:
    """Create the directory of a file:// backend (the default lives in git-ignored .infra/)."""
    path = backend.local_path
    if path is None:
        return
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BackendUnreachableError(
            f"the state directory {path} ({backend.source}) cannot be created ({err.strerror}); "
            "fix its permissions or choose another backend with --backend"
        ) from None


# --- gate 1: the CLI ------------------------------------------------------------------


@dataclass(frozen=True)
class CliInfo:
    path: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.search(text or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def check_cli(probes: Probes, minimum: tuple[int, int, int] = MIN_PULUMI_VERSION) -> CliInfo:
    """Gate 1: `pulumi` is on PATH and new enough."""
    want = ".".join(map(str, minimum))
    path = probes.which("pulumi")
    if not path:
        raise PulumiMissingError(
            "the pulumi CLI was not found on PATH",
            lines=[
                "the pulumi CLI was not found on PATH; engine commands (preview, deploy, drift, ...) need it",
                f"{INSTALL_HINT} (version {want} or newer)",
                "offline commands (validate, plan, policy) work without it",
            ],
        )
    result = probes.run([path, "version"], {"PULUMI_SKIP_UPDATE_CHECK": "true"})
    version = parse_version(result.stdout) if result.code == 0 else None
    if version is None:
        raise PulumiVersionError(
            f"`pulumi version` did not report a version (exit {result.code}); reinstall the CLI: {INSTALL_HINT}"
        )
    if version < minimum:
        got = ".".join(map(str, version))
        raise PulumiVersionError(
            f"pulumi {got} is too old; this toolkit needs {want} or newer",
            lines=[
                f"pulumi {got} is too old; this toolkit needs {want} or newer (exit codes and drift previews depend on it)",
                "upgrade with `pulumi self-update`, `brew upgrade pulumi` or the installer: https://www.pulumi.com/docs/iac/download-install/",
            ],
        )
    return CliInfo(path, version)


# --- gate 2: the backend --------------------------------------------------------------


def check_backend(backend: Backend, probes: Probes, cli: CliInfo, masker: Masker | None = None) -> None:
    """Gate 2: the backend answers `pulumi whoami` (reachable, and logged in where that applies)."""
    masker = masker or Masker(environ=probes.env)
    local = backend.local_path
    if local is not None:
        probe = local if local.exists() else next((p for p in local.parents if p.exists()), None)
        if probe is None or not probe.is_dir() or not os.access(probe, os.W_OK):
            raise BackendUnreachableError(
                f"the state directory {local} ({backend.source}) is not a writable directory; "
                "fix its permissions or choose another backend with --backend"
            )
    result = probes.run(
        [cli.path, "whoami", "--non-interactive"],
        {"PULUMI_BACKEND_URL": backend.url, "PULUMI_SKIP_UPDATE_CHECK": "true"},
    )
    if result.code == 0:
        return
    detail = masker.scrub(_first_line(result.stderr) or _first_line(result.stdout) or f"exit {result.code}")
    where = f"{backend.display} (from {backend.source})"
    if _BACKEND_AUTH.search(result.stderr + result.stdout):
        hint = {
            "cloud": "set PULUMI_ACCESS_TOKEN (CI) or run `pulumi login` (laptop)",
            "s3": "provide AWS credentials with read/write access to the bucket (see the aws credentials below)",
            "azblob": "set AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN, or `az login`",
            "gs": "set GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`",
        }.get(backend.kind, "log in to the backend with `pulumi login`")
        raise BackendAuthError(
            f"the state backend {where} needs a login: {detail}",
            lines=[f"the state backend {where} needs a login: {detail}", hint],
        )
    raise BackendUnreachableError(
        f"the state backend {where} cannot be reached: {detail}",
        lines=[
            f"the state backend {where} cannot be reached: {detail}",
            "check the URL, the network and that the bucket or container exists; choose another with --backend",
        ],
    )


def lock_files(backend: Backend, project_name: str, environment: str) -> list[Path]:
    """Lock files of a file:// backend's stack (project-scoped layout, then the legacy one)."""
    root = backend.local_path
    if root is None:
        return []
    found: list[Path] = []
    for folder in (
        root / ".pulumi" / "locks" / "organization" / project_name / environment,
        root / ".pulumi" / "locks" / environment,
    ):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".json")
    return found


def check_lock(backend: Backend, project_name: str, environment: str) -> None:
    """Gate 2, continued: a file:// stack must not be locked by another (or an interrupted) run.

    Remote backends report a lock when the engine starts; `errors.translate` says the same there.
    """
    locks = lock_files(backend, project_name, environment)
    if not locks:
        return
    text = (
        f"error: the stack is currently locked by {len(locks)} lock(s). Either wait for the other "
        "process(es) to end or delete the lock file with `pulumi cancel`."
    )
    for path in locks:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        who = f"{data.get('username', '?')}@{data.get('hostname', '?')}"
        text += f"\n  {backend.url}/{path.name}: created by {who} (pid {data.get('pid', '?')}) at {data.get('timestamp', '?')}"
    raise locked_error(environment, text)


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip().removeprefix("error: ")
    return ""


# --- gate 3: credentials --------------------------------------------------------------


def _set(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name, "").strip())


def azure_missing(probes: Probes) -> list[str]:
    """What is missing for Azure (azure-native and azuread): ARM_* variables, OIDC, or az login."""
    env = probes.env
    sp_vars = ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_USE_OIDC", "ARM_USE_MSI", "ARM_CLIENT_CERTIFICATE_PATH")
    if any(_set(env, v) for v in sp_vars):
        missing = [f"azure: {v} is not set" for v in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID") if not _set(env, v)]
        oidc = env.get("ARM_USE_OIDC", "").lower() in TRUE
        if oidc:
            github = _set(env, "ACTIONS_ID_TOKEN_REQUEST_URL") and _set(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
            explicit = _set(env, "ARM_OIDC_TOKEN") or (_set(env, "ARM_OIDC_REQUEST_URL") and _set(env, "ARM_OIDC_REQUEST_TOKEN"))
            if not (github or explicit):
                missing.append(
                    "azure: ARM_USE_OIDC=true but no OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL and "
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (give the job `permissions: id-token: write`), "
                    "and ARM_OIDC_TOKEN is not set"
                )
        elif not (
            _set(env, "ARM_CLIENT_SECRET")
            or _set(env, "ARM_CLIENT_CERTIFICATE_PATH")
            or env.get("ARM_USE_MSI", "").lower() in TRUE
        ):
            missing.append("azure: ARM_CLIENT_SECRET is not set (or use OIDC: ARM_USE_OIDC=true in GitHub Actions)")
        return missing
    if not probes.which("az"):
        return [
            "azure: no credentials: the az CLI is not installed and ARM_CLIENT_ID, ARM_TENANT_ID, "
            "ARM_SUBSCRIPTION_ID with ARM_CLIENT_SECRET (or ARM_USE_OIDC=true) are not set"
        ]
    result = probes.run(["az", "account", "show", "--output", "none"], None)
    if result.code != 0:
        return ["azure: the az CLI is not signed in; run `az login` (or set ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID and ARM_CLIENT_SECRET / ARM_USE_OIDC=true)"]
    return []


def _aws_sections(path: Path) -> set[str]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return set()
    return {s.removeprefix("profile ").strip() for s in parser.sections()}


def aws_missing(probes: Probes) -> list[str]:
    """What is missing for AWS: a profile, access keys, web identity (OIDC) or container credentials."""
    env = probes.env
    missing: list[str] = []
    if _set(env, "AWS_ACCESS_KEY_ID") or _set(env, "AWS_SECRET_ACCESS_KEY"):
        missing += [f"aws: {v} is not set" for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if not _set(env, v)]
        return missing
    if _set(env, "AWS_ROLE_ARN") or _set(env, "AWS_WEB_IDENTITY_TOKEN_FILE"):
        missing += [f"aws: {v} is not set" for v in ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE") if not _set(env, v)]
        token = env.get("AWS_WEB_IDENTITY_TOKEN_FILE", "")
        if token and not Path(token).expanduser().is_file():
            missing.append(f"aws: AWS_WEB_IDENTITY_TOKEN_FILE {token} does not exist")
        return missing
    if _set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") or _set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        return []
    config = Path(env.get("AWS_CONFIG_FILE") or probes.home / ".aws" / "config").expanduser()
    creds = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or probes.home / ".aws" / "credentials").expanduser()
    known = _aws_sections(config) | _aws_sections(creds)
    profile = env.get("AWS_PROFILE", "").strip() or env.get("AWS_DEFAULT_PROFILE", "").strip()
    if profile:
        if profile not in known:
            return [f"aws: AWS_PROFILE={profile} is not a profile in {config} or {creds}; run `aws configure sso --profile {profile}`"]
        return []
    if "default" in known:
        return []
    return [
        "aws: no credentials: set AWS_PROFILE (a profile in ~/.aws/config, e.g. after `aws configure sso`), "
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (CI OIDC)"
    ]


def passphrase_missing(probes: Probes) -> list[str]:
    env = probes.env
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        return [] if env["PULUMI_CONFIG_PASSPHRASE"] else ["secrets: PULUMI_CONFIG_PASSPHRASE is empty; set the stack's passphrase"]
    file = env.get("PULUMI_CONFIG_PASSPHRASE_FILE", "")
    if file:
        return [] if Path(file).expanduser().is_file() else [f"secrets: PULUMI_CONFIG_PASSPHRASE_FILE {file} does not exist"]
    return [
        "secrets: PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is not set "
        "(the passphrase secrets provider needs it; or set infra:deployment.secrets_provider)"
    ]


def azblob_missing(backend: Backend, probes: Probes) -> list[str]:
    query = parse_qs(urlsplit(backend.url).query)
    if _set(probes.env, "AZURE_STORAGE_ACCOUNT") or query.get("storage_account"):
        return []
    return ["backend: AZURE_STORAGE_ACCOUNT is not set (the azblob:// backend needs the storage account name)"]


def github_missing(probes: Probes) -> list[str]:
    """The tenant stack declares the repository's settings with pulumi-github."""
    if _set(probes.env, "GITHUB_TOKEN"):
        return []
    return ["GitHub: set GITHUB_TOKEN to a token for the repository (the tenant stack's repository settings; in CI "
            "the TENANT_GITHUB_TOKEN secret of the tenant environment to deploy, TENANT_PLAN_GITHUB_TOKEN of "
            "tenant-plan (read only) for previews and drift)"]


def aws_profiles_missing(profiles: Sequence[str], probes: Probes) -> list[str]:
    """The tenant stack reaches each environment's account through a named profile; each must exist."""
    env = probes.env
    config = Path(env.get("AWS_CONFIG_FILE") or probes.home / ".aws" / "config").expanduser()
    creds = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or probes.home / ".aws" / "credentials").expanduser()
    known = _aws_sections(config) | _aws_sections(creds)
    return [f"aws: profile {p} is not in {config}; in CI cloud-login writes it from AWS_TENANT_PROFILES, on a "
            f"laptop add it for that account (docs/runbooks/bootstrap.md)" for p in profiles if p not in known]


def check_credentials(clouds: Sequence[str], secrets_provider: str, backend: Backend, probes: Probes,
                      aws_profiles: Sequence[str] = ()) -> None:  # fmt: skip
    """Gate 3: every credential the run needs, all missing items reported together (exit 3).

    `clouds` are the environment's clouds; pass () when only the state is read (outputs,
    cancel): then only the passphrase and the backend's / secrets provider's cloud count.
    `aws_profiles`: the tenant stack's named profiles, which stand for AWS credentials unless the
    backend or the secrets provider needs AWS too.
    """
    needed: dict[str, str] = {c: "the environment" for c in clouds}
    if secrets_provider.startswith("awskms://"):
        needed.setdefault("aws", "the awskms:// secrets provider")
    if secrets_provider.startswith("azurekeyvault://"):
        needed.setdefault("azure", "the azurekeyvault:// secrets provider")
    if backend.kind == "s3":
        needed.setdefault("aws", "the s3:// backend")
    missing: list[str] = []
    if secrets_provider == "passphrase" or secrets_provider.startswith("passphrase"):
        missing += passphrase_missing(probes)
    if backend.kind == "azblob":
        missing += azblob_missing(backend, probes)
    if "azure" in needed:
        missing += azure_missing(probes)
    if "aws" in needed and aws_profiles:
        missing += aws_profiles_missing(aws_profiles, probes)
        if backend.kind == "s3" or secrets_provider.startswith("awskms://"):
            missing += aws_missing(probes)
    elif "aws" in needed:
        missing += aws_missing(probes)
    if "github" in needed:
        missing += github_missing(probes)
    if missing:
        head = f"{len(missing)} credential item(s) missing"
        raise CredentialsMissingError(head, lines=[f"{head}; nothing was started:", *(f"  {m}" for m in missing)])


# --- gates 4 and 5 --------------------------------------------------------------------


@dataclass(frozen=True)
class RawSettings:
    """What gates 2 and 3 need, read from the stack file before full validation (gate 4)."""

    clouds: tuple[str, ...]
    backend_url: str | None
    secrets_provider: str | None
    aws_profiles: tuple[str, ...] = ()
    """The tenant stack only: the AWS profile of each environment account it reaches."""


def check_name(name: str) -> None:
    """Exit 2 with the naming rule before a name reaches a path (history, state, stack files)."""
    from cli.errors import UsageError
    from stacks.loader import ConfigError, check_environment_name

    try:
        check_environment_name(name)
    except ConfigError as err:
        raise UsageError(err.lines[0], lines=err.lines) from None


def raw_settings(project: Project, name: str) -> RawSettings:
    """The clouds and deployment settings as written, without validating the rest."""
    from cli.errors import UsageError
    from stacks.loader import ConfigError, infra_namespace, read_config, stack_file

    path = stack_file(project.stacks_dir, name)
    try:
        values = infra_namespace(read_config(path, project.display(path)))
    except ConfigError as err:
        raise UsageError(err.lines[0], lines=err.lines) from None
    deployment = values.get("deployment") if isinstance(values.get("deployment"), Mapping) else {}
    clouds = tuple(c for c in ("azure", "aws") if values.get(c))
    profiles: tuple[str, ...] = ()
    tenant = values.get("tenant")
    if isinstance(tenant, Mapping):
        # The tenant stack reaches every environment's AWS account and the GitHub repository.
        clouds = (*dict.fromkeys((*clouds, "aws")), "github")
        org = values.get("organization") if isinstance(values.get("organization"), Mapping) else {}
        names = tenant.get("environments") if isinstance(tenant.get("environments"), list) else []
        if isinstance(org.get("short_name"), str):
            # components.platform.tenant.tenant_aws_profile, read before validation
            profiles = tuple(f"{org['short_name']}-{name}-{e}" for e in names if isinstance(e, str))
    return RawSettings(
        clouds=clouds,
        backend_url=deployment.get("backend_url") if isinstance(deployment.get("backend_url"), str) else None,
        secrets_provider=deployment.get("secrets_provider") if isinstance(deployment.get("secrets_provider"), str) else None,
        aws_profiles=profiles,
    )


def check_config(project: Project, name: str) -> Any:
    """Gate 4: the validated Environment, or UsageError with every file:key problem (exit 2)."""
    from cli.context import load

    return load(project, name)


def check_policy(project: Project, environment: Any) -> Any:
    """Gate 5: the offline policy set on the offline plan (`cli.policycheck.check_environment`).

    Raises PolicyFailedError (exit 5) listing every unexempted mandatory violation.
    """
    from cli.engine.drift import policy_items
    from cli.policycheck import check_environment

    report = check_environment(project, environment)
    blocking = [p for p in policy_items(report) if p.blocking]
    if blocking or getattr(report, "blocking", None) is True:
        head = f"the offline policy check found {len(blocking) or 'a'} blocking violation(s) in {environment.name}"
        lines = [head]
        lines += [f"  {p.policy}: {p.urn or '(stack)'}: {p.message}" for p in blocking[:25]]
        if len(blocking) > 25:
            lines.append(f"  ... and {len(blocking) - 25} more")
        lines.append(f"nothing was started; see `infra policy check --env {environment.name}` for every finding")
        raise PolicyFailedError(head, lines=lines)
    return report


# --- all gates ------------------------------------------------------------------------

ALL_GATES = ("cli", "backend", "credentials", "config", "policy")
STATE_GATES = ("cli", "backend", "secrets", "config")
"""For commands that only read or unlock the state: no cloud credentials, no policy run."""


@dataclass(frozen=True)
class Preflight:
    """What passed: the environment and where and how the engine will run."""

    environment: Any
    backend: Backend
    secrets_provider: str
    cli: CliInfo


def run(
    project: Project,
    name: str,
    *,
    backend_flag: str | None = None,
    probes: Probes | None = None,
    gates: Sequence[str] = ALL_GATES,
    masker: Masker | None = None,
) -> Preflight:
    """Run the gates in order; the first failing gate raises and nothing else runs."""
    check_name(name)
    probes = probes or Probes()
    cli = check_cli(probes)
    raw = raw_settings(project, name)
    backend = resolve_backend(backend_flag, probes.env, raw.backend_url, project)
    secrets = resolve_secrets_provider(raw.secrets_provider)
    ensure_local_state(backend)
    if "backend" in gates:
        check_backend(backend, probes, cli, masker)
        check_lock(backend, project.name, name)
    if "credentials" in gates:
        check_credentials(raw.clouds, secrets, backend, probes, aws_profiles=raw.aws_profiles)
    elif "secrets" in gates:
        check_credentials((), secrets, backend, probes)
    environment = check_config(project, name)
    if "policy" in gates:
        check_policy(project, environment)
    return Preflight(environment=environment, backend=backend, secrets_provider=secrets, cli=cli)
