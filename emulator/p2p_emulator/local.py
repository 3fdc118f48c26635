"""`p2pctl local`: the whole control plane on 127.0.0.1, from the same template.yaml.

An in-process moto server is the AWS account. The template is deployed into it (stack.py); Lambda
invokes run the real handlers (shims.py); Step Functions runs the real ASL. What the emulator does
not run, this runtime plays from the template's values: the Scheduler schedule (a ticker), the
config-edit Pipe (it follows the DynamoDB stream) and CloudFront (an HTTP server running the LIVE
function code in node).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from moto.server import ThreadedMotoServer

from p2p_core.aws.clients import ClientFactory
from p2p_core.control_center import publish
from p2p_core.quota import SPOT_QUOTA
from p2p_core.regions import commercial_regions
from p2p_emulator import iam, shims
from p2p_emulator.cloudfront import ControlCenterServer
from p2p_emulator.function_url import FunctionUrlServer
from p2p_emulator.seed import seed_account_trail, seed_ami_parameters
from p2p_emulator.shims import stream_records
from p2p_emulator.stack import EmulatedStack, PipeSpec, deploy_stack
from p2p_emulator.ticker import Ticker
from p2pctl.runs import run_name, start_run

EMULATOR_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@dataclass
class LocalRun:
    """A run the local runtime started (by the schedule or by a config edit)."""

    source: str
    execution_arn: str
    started: float


# what `p2pctl local --control-center-domain` deploys with (CloudFront reads certificates in us-east-1)
EMULATED_CERTIFICATE = {
    "ControlCenterCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
}
# an instance refresh replaces a batch every this many seconds (AWS: after each new instance's warmup)
REFRESH_SECONDS = 10.0
STREAM_IDLE_READ_SECONDS = 5.0  # the config stream is read when a record is appended, and at least this often


@dataclass
class LocalRuntime:
    """The emulator, the deployed stack and the three stand-ins, started and stopped together."""

    stack_name: str = "p2p-control-plane"
    region: str = "eu-central-1"
    port: int = 0
    tick: float | None = None
    fast_forward: float = 0.0  # idle waits for the schedule up to this long are skipped (ticker.py)
    seed_regions: tuple[str, ...] = field(default_factory=commercial_regions)
    disabled_regions: tuple[str, ...] = ()  # opt-in regions the emulated account has not enabled
    failing_launches: dict[str, str] = field(default_factory=dict)  # region -> EC2 error code of its launches
    refresh_seconds: float = REFRESH_SECONDS  # between two batches of an instance refresh
    vcpu_quotas: dict[str, float] = field(default_factory=dict)  # region (or "all") -> on-demand vCPU quota
    spot_quotas: dict[str, float] = field(default_factory=dict)  # region (or "all") -> Spot vCPU quota
    lambda_concurrency: int | None = None  # the account's Lambda ConcurrentExecutions (None: Lambda's 1,000)
    control_center_domain: str = ""  # ControlCenterDomainName: a second listener stands in for it
    aws_events: bool = True  # AWS services' events (CloudTrail, Auto Scaling launch failures) on the default buses
    account_trail: bool = True  # the account's own multi-region trail of management events (unless create_trail)
    create_trail: bool = False  # CreateTrail=true: the template's own trail of write management events
    log: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr, flush=True))
    stack: EmulatedStack | None = None
    runs: list[LocalRun] = field(default_factory=list)
    control_center_urls: list[str] = field(default_factory=list)  # as agents get them, once started
    _server: ThreadedMotoServer | None = None
    _control_center: ControlCenterServer | None = None
    _custom_domain: ControlCenterServer | None = None
    _radar: FunctionUrlServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def control_center_url(self) -> str:
        assert self._control_center is not None and self.stack is not None, "start() first"
        return self._control_center.url + self.stack.control_center_path

    def start(self) -> dict[str, str]:
        """Start everything; returns what `p2pctl local` prints."""
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        os.environ["AWS_DEFAULT_REGION"] = self.region
        shims.install()
        self._model_account()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulated API call
        self._workdir = tempfile.TemporaryDirectory(prefix="p2p-local-")
        images = shims.use_small_image_catalogue(Path(self._workdir.name))
        shims.complete_instance_type_offerings(list(self.seed_regions))
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        # moto's Step Functions engine calls Lambda at localhost:MOTO_PORT
        os.environ["MOTO_PORT"] = str(self._server.get_host_and_port()[1])
        requests.post(f"{self.endpoint_url}/moto-api/config", json=EMULATOR_CONFIG, timeout=10).raise_for_status()
        clients = ClientFactory(endpoint_url=self.endpoint_url)
        self._clients = clients
        for region in self.seed_regions:
            seed_ami_parameters(clients, region, images)
        if self.account_trail and not self.create_trail:  # with CreateTrail=true the stack's trail stands for it
            trail = seed_account_trail(clients, self.region)
            self.log(f"the account's trail {trail} records write management events in every region")
        self._control_center = ControlCenterServer(self._live_code).start()
        bases, parameters = [self._control_center.url], {}
        if self.control_center_domain:  # the distribution under its alias too: agents try the custom domain first
            self._custom_domain = ControlCenterServer(self._live_code).start()
            bases.insert(0, self._custom_domain.url)
            parameters = {"ControlCenterDomainName": self.control_center_domain, **EMULATED_CERTIFICATE}
        if self.create_trail:
            parameters["CreateTrail"] = "true"
        # the radar's function URL: moto has none, so this server invokes the function as Lambda would
        self._radar = FunctionUrlServer(clients.client("lambda", self.region), self._radar_function).start()
        self.stack = deploy_stack(
            clients,
            stack_name=self.stack_name,
            region=self.region,
            endpoint_url=self.endpoint_url,
            control_center_bases=bases,
            parameters=parameters,
            radar_url=self._radar.url,
        )
        shims.set_stack_output(self.stack_name, self.region, "ControlCenterUrl", self.control_center_url)
        shims.set_stack_output(self.stack_name, self.region, "RadarUrl", self._radar.url)
        self.control_center_urls = [base + self.stack.control_center_path for base in bases]
        if self._custom_domain is not None:
            custom = self.control_center_urls[0]
            shims.set_stack_output(self.stack_name, self.region, "ControlCenterCustomUrl", custom)
            self.log(f"control center on {self.control_center_domain} (ControlCenterDomainName) served at {custom}")
        ticker = Ticker(
            scheduler=clients.client("scheduler", self.region),
            schedule_name=self.stack.schedule_name,
            schedule_group=self.stack.schedule_group,
            start=self._scheduled_start,
            idle=lambda: not self._running(),
            stop=self._stop,
            log=self.log,
            tick=self.tick,
            fast_forward=self.fast_forward,
        )
        self._spawn("scheduler", ticker.run)
        # read from here on before saying "up": an edit made right after the JSON line must start a run
        iterators: dict[str, str | None] = {}
        self._open_shards(iterators, "LATEST")
        self._spawn("config-stream", lambda: self._stream_loop(iterators))
        return self.info()

    def _model_account(self) -> None:
        """The default emulated account (eventual consistency, a Local Zone), plus the chosen switches."""
        shims.reset_behaviours()
        disabled = shims.disable_regions(self.disabled_regions)
        for region, code in self.failing_launches.items():
            shims.fail_launches(region, code)
        for region, vcpus in self.vcpu_quotas.items():
            shims.set_quota(region, vcpus)
            self.log(f"on-demand vCPU quota in {region}: {vcpus:g}")
        for region, vcpus in self.spot_quotas.items():
            shims.set_quota(region, vcpus, SPOT_QUOTA)
            self.log(f"Spot vCPU quota in {region}: {vcpus:g}")
        if self.lambda_concurrency is not None:
            shims.set_lambda_concurrency(self.lambda_concurrency)
            self.log(f"Lambda concurrency of the account: {self.lambda_concurrency} (invokes beyond it are throttled)")
        if disabled:
            self.log(f"regions not enabled in the emulated account: {', '.join(disabled)}")
        for region, code in self.failing_launches.items():
            self.log(f"instance launches in {region} fail with {code}")
        shims.refresh_pace(self.refresh_seconds)
        shims.set_aws_events(self.aws_events)
        if not self.aws_events:
            self.log("AWS services' events are off: drift is found by the scheduled checks only")

    def info(self) -> dict[str, str]:
        """The JSON line `p2pctl local` prints."""
        assert self.stack is not None
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "stack_name": self.stack_name,
            "config_table": self.stack.config_table,
            "state_machine_arn": self.stack.state_machine_arn,
            "scheduled_check_arn": self.stack.scheduled_check_arn or "",
            "control_center_url": self.control_center_url,
            "control_center_urls": ",".join(self.control_center_urls),  # as agents get them: custom domain first
            "radar_url": self._radar.url if self._radar is not None else "",
        }

    def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop the stand-ins, let running executions finish (a few seconds at most), stop the servers."""
        self._stop.set()
        stream_records.wake()
        for thread in self._threads:
            thread.join(timeout=5)
        self._drain(drain_seconds)
        for control_center in (self._control_center, self._custom_domain):
            if control_center is not None:
                control_center.stop()
        if self._radar is not None:
            self._radar.stop()
        if self._server is not None:
            self._server.stop()
        if getattr(self, "_workdir", None) is not None:
            self._workdir.cleanup()

    def _drain(self, seconds: float) -> None:
        if self.stack is None:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if not self._running():
                    return
            except Exception:  # the emulator is going away anyway
                return
            time.sleep(0.1)

    def _running(self) -> bool:
        """True while an execution of the scheduled check or the reconcile workflow runs."""
        assert self.stack is not None
        sfn = self._clients.client("stepfunctions", self.region)
        machines = [arn for arn in (self.stack.scheduled_check_arn, self.stack.state_machine_arn) if arn]
        # the scheduled check first: a check still running may start a reconcile run
        return any(sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"] for arn in machines)

    def _scheduled_start(self, source: str, target: dict[str, Any]) -> None:
        """What the Scheduler does at a time: start the target as its role, with its input."""
        if not self._refused(target["RoleArn"], target["Arn"]):
            self._start_run(source, target["Arn"])  # its target: the scheduled check, as on AWS

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=self._guarded, args=(name, target), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guarded(self, name: str, target: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                target()
                return
            except Exception as exc:  # keep the stand-in alive: the emulator must outlive one bad poll
                self.log(f"{name}: {type(exc).__name__}: {exc}; retrying")
                self._stop.wait(1.0)

    def _start_run(self, source: str, target_arn: str) -> str:
        """Start `target_arn` (the schedule's or the Pipe's target) as the service would, with its input."""
        sfn = self._clients.client("stepfunctions", self.region)
        arn = start_run(sfn, target_arn, source=source, name=run_name(source))
        with self._lock:
            self.runs.append(LocalRun(source=source, execution_arn=arn, started=time.monotonic()))
        self.log(f"{datetime.now(UTC):%H:%M:%S} run started by {source}: {arn.rsplit(':', 1)[-1]}")
        return arn

    def _refused(self, role_arn: str, target_arn: str, stream: str | None = None) -> bool:
        """True (logged) when the service's role may not start `target_arn` (or, the Pipe's, read `stream`)."""
        assert self.stack is not None
        denied = service_refusal(self.stack, role_arn, target_arn, stream)
        if denied is not None:
            self.log(f"{datetime.now(UTC):%H:%M:%S} no run started: {denied}")
        return denied is not None

    # ------------------------------------------------------------ CloudFront: serve the LIVE function

    def _live_code(self) -> str | None:
        if self.stack is None:
            return None
        cloudfront = self._clients.client("cloudfront", "us-east-1")
        return publish.live_code(cloudfront, self.stack.control_center_function)

    def _radar_function(self) -> str | None:
        if self.stack is None or "RadarFunction" not in self.stack.functions:
            return None
        return self.stack.functions["RadarFunction"].function_arn

    # ------------------------------------------------------------ Pipe: config edits start a run

    def _open_shards(self, iterators: dict[str, str | None], position: str) -> None:
        """An iterator at `position` for every shard of the config stream not read yet."""
        assert self.stack is not None
        streams = self._clients.client("dynamodbstreams", self.region)
        arn = self.stack.pipe.source_stream_arn
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in iterators:
                found = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=position)
                iterators[shard["ShardId"]] = found["ShardIterator"]

    def _stream_loop(self, iterators: dict[str, str | None]) -> None:
        assert self.stack is not None
        pipe = self.stack.pipe
        streams = self._clients.client("dynamodbstreams", self.region)
        seen = stream_records.appended()
        while not self._stop.is_set():
            self._open_shards(iterators, "TRIM_HORIZON")  # a shard opened since start holds only new edits
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                page = streams.get_records(ShardIterator=iterator)
                iterators[shard_id] = page.get("NextShardIterator")
                if any(pipe_matches(pipe, record) for record in page["Records"]) and not self._refused(
                    pipe.role_arn, pipe.target_arn, stream=pipe.source_stream_arn
                ):
                    source = json.loads(pipe.input_template).get("source", "config-edit")
                    self._start_run(str(source), pipe.target_arn)  # the reconcile workflow itself
            # read again once a record is appended (stream_records.py): an idle emulator makes no calls
            seen = stream_records.wait_for_records(seen, STREAM_IDLE_READ_SECONDS, self._stop)


PIPE_STREAM_READS = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords")


def service_refusal(stack: EmulatedStack, role_arn: str, target_arn: str, stream: str | None = None) -> str | None:
    """Why the Scheduler (or, with `stream`, the Pipe) acting as `role_arn` cannot start `target_arn`; None: it can."""
    roles = [p for p in stack.principals.values() if p.role_arn == role_arn]
    if not roles:  # IAM not enforced in this deployment
        return None
    needs = [(action, stream) for action in PIPE_STREAM_READS if stream] + [("states:StartExecution", target_arn)]
    return next((d for action, arn in needs if (d := iam.service_denial(roles[0], action, arn)) is not None), None)


def pipe_matches(pipe: PipeSpec, record: dict[str, Any]) -> bool:
    """True when a stream record passes one of the Pipe's filter patterns (EventBridge pattern subset)."""
    return any(_matches(pattern, record) for pattern in pipe.filter_patterns)


def _matches(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        return any(_matches(option, value) for option in pattern) if value is not None else False
    return bool(pattern == value)
