"""The program runner: a hostile or broken program cannot pass the gate, hang it or corrupt its report.

Each test writes a small Pulumi program to a temporary directory and runs it as a user
would, through `infra plan --program` / `infra policy check --program`, or through
`cli.runner.run_program` when the test needs the run itself.
"""

from __future__ import annotations

import _thread
import json
import os
import textwrap
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.capture import SECRET, UNKNOWN
from cli.main import app
from cli.runner import RunInterrupted, RunSpec, run_program


def program(root: Path, body: str, *, manifest: str = "", stack: str = "config: {}\n", name: str = "prog",
            files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n" + textwrap.dedent(manifest), encoding="utf-8")
    (root / "Pulumi.dev.yaml").write_text(textwrap.dedent(stack), encoding="utf-8")
    (root / "__main__.py").write_text(textwrap.dedent(body), encoding="utf-8")
    for rel, text in (files or {}).items():
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def infra(*args: str):
    return CliRunner().invoke(app, list(args))


def run(root: Path, mode: str = "preview", timeout: float = 120, **config: str):
    return run_program(RunSpec(program=root, root=root, project="prog", stack="dev", mode=mode, config=config),
                       timeout=timeout)


def by_name(capture, name: str):
    return next(r for r in capture.resources if r.name == name)


# --- invokes ---------------------------------------------------------------------------------

INVOKES = """
import json
import pulumi
import pulumi_aws as aws
import pulumi_azure_native as az

me = aws.get_caller_identity()
region = aws.get_region()
partition = aws.get_partition()
zones = aws.get_availability_zones(state="available")
ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*"]}])
vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
zone = aws.route53.get_zone(name="example.org")
doc = aws.iam.get_policy_document(statements=[
    {"sid": "Read", "actions": ["s3:GetObject", "s3:ListBucket"], "resources": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
     "principals": [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}],
     "conditions": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [me.account_id]}]},
    {"effect": "Deny", "actions": ["s3:*"], "resources": ["*"], "principals": [{"type": "*", "identifiers": ["*"]}]},
])
client = az.authorization.get_client_config()
keys = az.storage.list_storage_account_keys(account_name="st", resource_group_name="rg")
creds = az.containerservice.list_managed_cluster_user_credentials(resource_name="aks", resource_group_name="rg")
ip = az.network.get_public_ip_address(public_ip_address_name="pip", resource_group_name="rg")
odd = aws.mq.get_broker(broker_name="nobody-knows")

aws.s3.Bucket("answers", tags={
    "account": me.account_id, "arn": me.arn, "region": region.name, "partition": partition.partition,
    "zones": ",".join(zones.names), "ami": ami.id, "vpc": vpc.id, "cidr": vpc.cidr_block,
    "subnets": ",".join(subnets.ids), "zone": zone.zone_id, "zone_name": zone.name,
    "tenant": client.tenant_id, "key": keys.keys[0].value, "kubeconfig": creds.kubeconfigs[0].value,
    "ip": ip.ip_address, "odd": str(odd.arn),
})
aws.iam.Policy("doc", policy=doc.json)
"""


def test_every_kind_of_invoke_gets_a_well_formed_answer(tmp_path):
    import base64

    import yaml

    result = run(program(tmp_path / "p", INVOKES), region="eu-west-1")
    assert result.complete, result.failure
    tags = by_name(result.capture, "answers").inputs["tags"]
    assert tags["account"] == "000000000000" and tags["arn"].startswith("arn:aws:iam::000000000000:")
    assert (tags["region"], tags["partition"]) == ("us-east-1", "aws")
    assert tags["zones"] == "us-east-1a,us-east-1b,us-east-1c"
    assert tags["ami"].startswith("ami-0") and tags["vpc"].startswith("vpc-0")
    assert tags["subnets"].count("subnet-") == 2 and tags["cidr"] == "10.0.0.0/16"
    assert tags["zone"].startswith("Z") and tags["zone_name"] == "example.org"
    assert tags["tenant"] == "00000000-0000-0000-0000-000000000000" and tags["ip"] == "192.0.2.10"
    assert base64.b64decode(tags["key"])
    kubeconfig = yaml.safe_load(base64.b64decode(tags["kubeconfig"]))
    assert kubeconfig["kind"] == "Config" and kubeconfig["clusters"][0]["cluster"]["server"].startswith("https://")
    # an invoke without a built-in answer returns an empty result and is named in a warning
    assert tags["odd"] == "None"
    [warning] = result.capture.warnings
    assert "aws:mq/getBroker:getBroker" in warning and "getCallerIdentity" not in warning


def test_the_policy_document_is_computed_from_its_statements_as_the_provider_does(tmp_path):
    result = run(program(tmp_path / "p", INVOKES))
    document = json.loads(by_name(result.capture, "doc").inputs["policy"])
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Principal": {"Service": "lambda.amazonaws.com"},
             "Condition": {"StringEquals": {"aws:SourceAccount": "000000000000"}}},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Principal": "*"},
        ],
    }


# --- preview and up --------------------------------------------------------------------------

MODES = """
import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("site")
aws.s3.BucketPolicy("policy", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: '{"Resource": "%s"}' % arn))
bucket.arn.apply(lambda arn: aws.sns.Topic("made-in-apply", name=arn.split(":")[-1]))
db = aws.rds.Instance("db", instance_class="db.t4g.micro", allocated_storage=20, engine="postgres")
aws.s3.Bucket("logs", tags={"address": db.address})
"""


def test_preview_leaves_computed_outputs_unknown_and_does_not_run_their_applies(tmp_path):
    result = run(program(tmp_path / "p", MODES), mode="preview")
    assert result.complete, result.failure
    assert result.stdout == result.stderr == ""  # no event-loop or SDK noise
    names = {r.name for r in result.capture.resources}
    assert "made-in-apply" not in names
    assert by_name(result.capture, "policy").inputs["bucket"] == UNKNOWN
    assert by_name(result.capture, "policy").inputs["policy"] == UNKNOWN
    assert by_name(result.capture, "logs").inputs["tags"]["address"] == UNKNOWN


def test_up_fakes_every_output_of_the_schema_so_applies_run(tmp_path):
    result = run(program(tmp_path / "p", MODES), mode="up")
    assert result.complete, result.failure
    assert result.stdout == result.stderr == ""
    topic = by_name(result.capture, "made-in-apply")
    assert topic.inputs["name"] == "site"
    assert json.loads(by_name(result.capture, "policy").inputs["policy"])["Resource"].startswith("arn:aws:s3:")
    # rds address is not faked by the fixed platform fakes: it comes from the schema
    assert by_name(result.capture, "logs").inputs["tags"]["address"] not in ("", None, UNKNOWN)


# --- config and secrets ----------------------------------------------------------------------

CONFIGURED = """
import pulumi
import pulumi_aws as aws

cfg = pulumi.Config()
aws.s3.Bucket("b", bucket=cfg.require("bucketName"), tags={
    "size": str(cfg.require_int("size")), "flag": str(cfg.get_bool("flag")), "region": pulumi.Config("aws").require("region")})
aws.rds.Instance("db", instance_class="db.t4g.micro", allocated_storage=20, engine="postgres",
                 password=cfg.require_secret("dbPassword"))
"""
MANIFEST = """
config:
  bucketName:
    type: string
    default: from-the-project
  size:
    type: integer
    default: 3
  flag:
    type: boolean
  aws:region:
    value: eu-central-1
"""


def test_config_defaults_types_namespaces_and_secure_values_as_the_engine(tmp_path):
    root = program(tmp_path / "p", CONFIGURED, manifest=MANIFEST, stack="""
        config:
          prog:size: 7
          flag: true
          dbPassword:
            secure: v1:AAAAAAAAAAAAAAAAAAAAAA==:not-decryptable-offline
        """)
    result = infra("plan", "--program", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    bucket = next(r for r in doc["resources"] if r["name"] == "b")
    assert bucket["inputs"]["bucket"] == "from-the-project"
    assert bucket["inputs"]["tags"] == {"size": "7", "flag": "True", "region": "eu-central-1"}
    db = next(r for r in doc["resources"] if r["name"] == "db")
    assert db["inputs"]["password"] == SECRET
    assert "not-decryptable" not in result.output and "offline-placeholder" not in result.stdout


def test_a_value_of_the_wrong_declared_type_is_a_config_error(tmp_path):
    root = program(tmp_path / "p", CONFIGURED, manifest=MANIFEST, stack="config:\n  prog:size: lots\n")
    result = infra("plan", "--program", str(root))
    assert result.exit_code == 2
    assert "config.prog:size: must be of type integer" in result.output and "Pulumi.dev.yaml" in result.output


def test_a_missing_required_key_names_the_pulumi_config_set_command(tmp_path):
    declared = program(tmp_path / "declared", "import pulumi\n", manifest="config:\n  token:\n    type: string\n    secret: true\n")
    result = infra("plan", "--program", str(declared))
    assert result.exit_code == 2
    assert "pulumi config set prog:token <value> --secret --stack dev" in result.output
    required = program(tmp_path / "required", "import pulumi\npulumi.Config().require('bucketName')\n")
    result = infra("policy", "check", "--program", str(required))
    assert result.exit_code == 1
    assert "pulumi config set prog:bucketName" in result.stderr and "__main__.py:2" in result.stderr


# --- exits, deaths, failures -----------------------------------------------------------------

ONE_BUCKET = "import pulumi_aws as aws\naws.s3.Bucket('first')\n"


@pytest.mark.parametrize("ending, words", [
    ("import sys\nsys.exit(0)\n", "sys.exit(0)"),
    ("import sys\nsys.exit(5)\n", "sys.exit(5)"),
    ("import os\nos._exit(0)\n", "ended the process (exit code 0)"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n", "killed by SIGTERM"),
])
def test_a_program_that_exits_early_with_any_code_is_a_failed_run_never_a_pass(tmp_path, ending, words):
    root = program(tmp_path / "p", ONE_BUCKET + "import time\ntime.sleep(0.5)\n" + ending)
    result = infra("policy", "check", "--program", str(root), "--format", "json")
    assert result.exit_code == 1, result.output
    assert words in result.stderr and "incomplete" in result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["complete"] is False


def test_a_partial_plan_keeps_what_registered_before_the_failure(tmp_path):
    root = program(tmp_path / "p", ONE_BUCKET + "import time\ntime.sleep(0.5)\nraise ValueError('half way')\n")
    result = infra("plan", "--program", str(root), "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["complete"] is False and [r["name"] for r in doc["resources"]] == ["first"]
    assert "ValueError: half way" in result.stderr and "__main__.py:5: raise ValueError('half way')" in result.stderr


def test_an_exception_at_import_points_at_the_users_module(tmp_path):
    root = program(tmp_path / "p", "import helper\n", files={"helper.py": "def f():\n    return 1 / 0\nf()\n"})
    result = infra("plan", "--program", str(root))
    assert result.exit_code == 1
    assert "ZeroDivisionError" in result.stderr and "helper.py:2: return 1 / 0" in result.stderr
    assert "concurrent/futures" not in result.stderr and "<frozen" not in result.stderr


def test_an_exception_inside_apply_fails_the_run_at_the_lambda(tmp_path):
    root = program(tmp_path / "p", """
        import pulumi_aws as aws
        bucket = aws.s3.Bucket("b")
        def explode(arn):
            raise RuntimeError("cannot use " + arn)
        bucket.arn.apply(explode)
        """)
    result = run(root, mode="up")
    assert not result.complete
    assert "RuntimeError: cannot use arn:aws:s3" in result.failure.message
    assert result.failure.location.endswith("__main__.py:5") and result.failure.code == 'raise RuntimeError("cannot use " + arn)'


def test_a_syntax_error_points_at_the_users_file(tmp_path):
    root = program(tmp_path / "p", "import pulumi\n", files={"lib.py": "def broken(:\n    pass\n"})
    (root / "__main__.py").write_text("import lib\n", encoding="utf-8")
    result = run(root)
    assert "SyntaxError" in result.failure.message
    assert result.failure.location.endswith("lib.py:1") and result.failure.code == "def broken(:"


def test_an_infinite_loop_is_stopped_by_the_timeout(tmp_path):
    root = program(tmp_path / "p", "while True:\n    pass\n")
    start = time.monotonic()
    result = infra("plan", "--program", str(root), "--timeout", "2")
    assert time.monotonic() - start < 20
    assert result.exit_code == 1
    assert "did not finish within 2 s" in result.stderr and "--timeout" in result.stderr


def test_ctrl_c_stops_the_program_and_cancels(tmp_path):
    root = program(tmp_path / "p", "import os, time\nopen('pid', 'w').write(str(os.getpid()))\nwhile True:\n    time.sleep(0.1)\n")

    def press_ctrl_c_once_running() -> None:
        deadline = time.monotonic() + 60
        while not (root / "pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        _thread.interrupt_main()

    import gc

    threading.Thread(target=press_ctrl_c_once_running, daemon=True).start()
    gc.disable()  # a KeyboardInterrupt landing in a gc callback (hypothesis has one) would be swallowed
    try:
        with pytest.raises(RunInterrupted) as info:
            run(root, timeout=60)
    finally:
        gc.enable()
    assert info.value.exit_code == 8
    pid = int((root / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --- output isolation ------------------------------------------------------------------------

NOISY = """
import sys
import pulumi_aws as aws
print('{"findings": [], "summary": {"blocking": false}}')
print("to stderr", file=sys.stderr)
sys.stdout.write("\\x1b[2Jescape")
aws.kms.Key("untagged", enable_key_rotation=True)
"""


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_program_output_goes_to_stderr_marked_and_stdout_stays_a_valid_report(tmp_path, fmt):
    root = program(tmp_path / "p", NOISY)
    result = infra("policy", "check", "--program", str(root), "--format", fmt)
    assert result.exit_code == 5, result.output
    doc = json.loads(result.stdout)
    if fmt == "json":
        assert doc["summary"]["blocking"] is True and doc["summary"]["complete"] is True
    else:
        assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
    assert "--- the program's stdout ---" in result.stderr and '| {"findings": []' in result.stderr
    assert "--- the program's stderr ---" in result.stderr and "| to stderr" in result.stderr
    assert "\x1b" not in result.stderr and "| [2Jescape" in result.stderr


def test_huge_output_is_bounded(tmp_path):
    root = program(tmp_path / "p", "import sys\nfor _ in range(2000):\n    sys.stdout.write('x' * 10000 + '\\n')\n")
    result = run(root)
    assert result.complete
    assert len(result.stdout) <= 256 * 1024 and result.dropped_output > 10_000_000


def test_a_forged_end_record_on_any_descriptor_does_not_pass(tmp_path):
    root = program(tmp_path / "p", """
        import os
        fake = b'{"kind": "end", "ok": true, "count": 0, "warnings": []}\\n'
        for fd in range(3, 64):
            try:
                os.write(fd, fake)
            except OSError:
                pass
        os._exit(0)
        """)
    result = run(root)
    assert not result.complete
    assert "did not send" in result.failure.message or "ended the process" in result.failure.message


def test_threads_neither_hang_nor_lose_resources(tmp_path):
    root = program(tmp_path / "p", """
        import threading, time
        import pulumi_aws as aws
        threading.Thread(target=lambda: time.sleep(3600)).start()  # non-daemon, never ends
        done = []
        worker = threading.Thread(target=lambda: done.append(sum(range(1000))))
        worker.start(); worker.join()
        aws.s3.Bucket("after-threads", tags={"sum": str(done[0])})
        """)
    start = time.monotonic()
    result = run(root)
    assert time.monotonic() - start < 60
    assert result.complete and by_name(result.capture, "after-threads").inputs["tags"] == {"sum": "499500"}


def test_forked_processes_do_not_outlive_the_run(tmp_path):
    root = program(tmp_path / "p", """
        import os, time
        pid = os.fork()
        if pid == 0:
            time.sleep(3600)
            os._exit(0)
        open("child", "w").write(str(pid))
        """)
    result = run(root)
    assert result.complete
    pid = int((root / "child").read_text())
    time.sleep(0.2)
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        assert state == "Z"  # reaped by init only; not running
    except ProcessLookupError:
        pass


def test_a_program_that_eats_memory_fails_instead_of_the_machine(tmp_path):
    root = program(tmp_path / "p", "blob = bytearray(64 * 1024 ** 3)\n")
    result = run(root)
    assert not result.complete and "MemoryError" in result.failure.message


@pytest.mark.parametrize("fmt, marker", [
    ("sarif", '"executionSuccessful": false'),
    ("table", "INCOMPLETE"),
    ("markdown", "**Incomplete:**"),
])
def test_every_report_format_says_an_unfinished_run_is_incomplete(tmp_path, fmt, marker):
    root = program(tmp_path / "p", "import sys\nimport pulumi\nsys.exit(0)\n")
    result = infra("policy", "check", "--program", str(root), "--format", fmt)
    assert result.exit_code == 1
    assert marker in result.stdout


def test_a_partial_plan_says_so_in_the_tree(tmp_path):
    root = program(tmp_path / "p", "import os\nos._exit(0)\n")
    result = infra("plan", "--program", str(root))
    assert result.exit_code == 1 and "partial: the program did not finish" in result.stdout


def test_the_readme_documents_the_runner_and_every_built_in_invoke():
    from cli.runner.invokes import BUILT_IN
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section:programs -->", 1)[1].split("<!-- /section:programs -->", 1)[0]
    for text in ("infra plan --program DIR", "infra policy check --program DIR", "--mode preview|up", "--timeout",
                 '"complete": false', "partial", "executionSuccessful", "pulumi config set", "secure:"):
        assert text in section, text
    for token in BUILT_IN:
        short = token.split(":")[1] if token.startswith(("aws:", "azuread:")) else token.split(":", 1)[1]
        assert f"`{short}`" in section, token


def test_the_program_never_sees_the_callers_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret-0000")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "caller-passphrase-0000")
    monkeypatch.setenv("GITHUB_TOKEN", "caller-token-0000")
    root = program(tmp_path / "p", "import os\nprint(sorted(os.environ))\nprint(os.environ.get('AWS_SECRET_ACCESS_KEY'))\n")
    result = run(root)
    assert result.complete
    assert "caller-" not in result.stdout and "GITHUB_TOKEN" not in result.stdout and "PATH" in result.stdout


def test_a_failure_inside_a_virtualenv_in_the_program_directory_points_at_the_program(tmp_path):
    root = program(tmp_path / "p", "import lib_in_venv\nlib_in_venv.explode()\n")
    site = root / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "lib_in_venv.py").write_text("def explode():\n    raise KeyError('deep')\n", encoding="utf-8")
    (root / "__main__.py").write_text(
        f"import sys\nsys.path.insert(0, {str(site)!r})\nimport lib_in_venv\nlib_in_venv.explode()\n", encoding="utf-8")
    result = run(root)
    assert result.failure.location.endswith("__main__.py:4") and result.failure.code == "lib_in_venv.explode()"


def test_up_mode_azure_outputs_take_the_stacks_location(tmp_path):
    root = program(tmp_path / "p", """
        import pulumi_azure_native as az
        rg = az.resources.ResourceGroup("rg")
        az.storage.StorageAccount("st", resource_group_name=rg.name, kind="StorageV2", sku={"name": "Standard_LRS"},
                                  tags={"rg_location": rg.location, "rg_id": rg.id})
        """)
    result = run_program(RunSpec(program=root, root=root, project="prog", stack="dev", mode="up",
                                 config={"azure-native:location": "northeurope"}), timeout=120)
    assert result.complete, result.failure
    tags = by_name(result.capture, "st").inputs["tags"]
    assert tags["rg_location"] == "northeurope"
    assert tags["rg_id"] == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/fake/providers/Microsoft.Resources/resourceGroups/rg"


# --- transforms ------------------------------------------------------------------------------------


def test_a_stack_transform_that_opens_a_bucket_fails_the_gate(tmp_path):
    """The mock monitor never runs transforms: the gate would have judged the inputs as written
    (and the SDK's idle callback server used to hold the run until its timeout)."""
    root = program(tmp_path / "p", """
        import pulumi
        import pulumi_aws as aws

        def open_up(args):
            if args.type_ == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
                return pulumi.ResourceTransformResult({**args.props, "blockPublicPolicy": False}, args.opts)

        pulumi.runtime.register_resource_transform(open_up)
        bucket = aws.s3.Bucket("data")
        aws.s3.BucketPublicAccessBlock("data", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                                       ignore_public_acls=True, restrict_public_buckets=True)
    """)
    started = time.monotonic()
    plan = infra("plan", "--program", str(root), "--format", "json")
    assert plan.exit_code == 0, plan.output
    assert time.monotonic() - started < 60
    pab = next(r for r in json.loads(plan.stdout)["resources"] if r["name"] == "data" and "PublicAccess" in r["type"])
    assert pab["inputs"]["blockPublicPolicy"] is False
    check = infra("policy", "check", "--program", str(root), "--format", "json")
    assert check.exit_code == 5
    assert "blockPublicPolicy" in check.stdout
