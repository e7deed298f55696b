"""Local AWS launcher: moto's server with the Step Functions interpreter on.

Started by the Go harness (internal/localaws), which passes the listening socket
as a file descriptor (--fd) and sets MOTO_PORT to the gateway's port, so that
the calls moto's Step Functions interpreter makes (Lambda invokes and SDK
integrations alike) go through the gateway.

Each fix below (and in launcher_route53.py, the Route 53 ones, in
launcher_events.py, the services' EventBridge events, and in
launcher_cloudwatch.py, CloudWatch's) names the moto defect it
works around. A fix first checks that the installed moto still has the
defect, and returns False (not applied) when it does not; LOCALAWS_DISABLE_PATCHES
(names, comma-separated) leaves fixes out, for the tests that prove each one
matters (internal/localaws/patches_test.go, route53_patches_test.go). A fix
that fails to apply stops the launcher: moto's internals changed.
The launcher exits on SIGTERM or SIGINT, and with --watch-stdin when its stdin
closes (its parent closed it, or died).
"""

import argparse
import copy
import functools
import inspect
import os
import signal
import sys
import threading
import types

import moto
from moto.core.config import default_user_config

import launcher_cloudwatch
import launcher_events
import launcher_route53

STEPFUNCTIONS_CONFIG = {"execute_state_machine": True}


def skip_executions_in_state_machine_copy():
    """moto issue 10077: every StartExecution after the first one returns 500
    "cannot pickle '_thread.RLock' object", because StartExecution deep-copies the
    state machine together with its running executions and its backend. The copy
    now shares those two attributes instead of copying them."""
    from moto.stepfunctions.models import StateMachine
    from moto.stepfunctions.parser import models

    probe = StateMachine("arn:probe", "probe", "{}", "arn:role", backend=None)
    probe.executions.append(threading.RLock())
    try:
        copy.deepcopy(probe)
        return False
    except TypeError:
        pass

    def deepcopy(value, memo=None):
        memo = {} if memo is None else memo
        for name in ("executions", "backend"):
            shared = getattr(value, name, None)
            if shared is not None:
                memo[id(shared)] = shared
        return copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    return True


def cache_jsonpath_parsing():
    """Speed: moto's interpreter parses every JSONPath again on every use (about
    16 ms each, so ~22 state transitions a second). Parsed paths are immutable:
    cache them (measured ~8,500 transitions a second)."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    applied = False
    for module in (json_path, result_path):
        if not hasattr(module.parse, "cache_info"):
            module.parse = functools.lru_cache(maxsize=4096)(module.parse)
            applied = True
    return applied


def register_template_targets():
    """moto's CloudFormation ignores the Targets of an
    AWS::ElasticLoadBalancingV2::TargetGroup, so DescribeTargetHealth lists no
    targets for a target group made by a stack. Register them when moto creates
    the target group from a template."""
    from moto.elbv2.models import FakeTargetGroup

    original = FakeTargetGroup.create_from_cloudformation_json.__func__
    if "Targets" in inspect.getsource(original):
        return False

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, *args, **kwargs):
        target_group = original(cls, resource_name, cloudformation_json, *args, **kwargs)
        targets = []
        for target in cloudformation_json.get("Properties", {}).get("Targets") or []:
            entry = {"Id": str(target["Id"])}
            if target.get("Port") is not None:
                entry["Port"] = int(target["Port"])
            targets.append(entry)
        if targets:
            target_group.register(targets)
        return target_group

    FakeTargetGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    return True


def stop_interrupts_task_token_wait():
    """moto: StopExecution on a task waiting for a task token (.waitForTaskToken)
    does nothing; the execution stays RUNNING until the token is answered. Stopping
    now wakes the waiting task, and a task that ends because its execution was
    stopped records no failure, so the execution ends ABORTED as on AWS."""
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import (
        ExecutionState,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    if "callback" in inspect.getsource(Environment.set_stop):
        return False
    original_set_stop = Environment.set_stop
    original_evaluate = ExecutionState._evaluate_with_timeout

    def set_stop(self, stop_date, cause, error):
        original_set_stop(self, stop_date, cause, error)
        for endpoint in list(self.callback_pool_manager._pool.values()):
            endpoint.interrupt_all()

    def evaluate_with_timeout(self, env):
        try:
            original_evaluate(self, env)
        except Exception:
            if env.is_running():
                raise

    Environment.set_stop = set_stop
    ExecutionState._evaluate_with_timeout = evaluate_with_timeout
    return True


def stop_ends_execution_at_once():
    """moto: StopExecution while a task's call is under way (a Lambda invoke, an SDK
    integration) leaves the execution RUNNING until that call returns. On AWS the
    execution is ABORTED at once (the call, if it goes on, changes nothing in the
    execution). The stop now records ABORTED and the stop date immediately; the
    worker, when its call returns, ends the already stopped program."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import Execution

    if "exec_status" in inspect.getsource(Execution.stop):
        return False
    original_stop = Execution.stop

    def stop(self, stop_date, error, cause):
        original_stop(self, stop_date, error, cause)
        if self.exec_status == ExecutionStatus.RUNNING:
            self.exec_status = ExecutionStatus.ABORTED
            self.stop_date = stop_date

    Execution.stop = stop
    return True


PATCHES = [
    skip_executions_in_state_machine_copy,
    cache_jsonpath_parsing,
    register_template_targets,
    stop_interrupts_task_token_wait,
    stop_ends_execution_at_once,
    *launcher_route53.PATCHES,
    *launcher_events.PATCHES,
    *launcher_cloudwatch.PATCHES,
]


def apply_patches(disabled):
    for patch in PATCHES:
        name = patch.__name__
        if name in disabled:
            status = "disabled"
        else:
            status = "applied" if patch() else "not needed"
        log(f"patch {name}: {status}")


def exit_when_parent_leaves():
    """Exits once stdin reaches end of file: the parent closed it or died."""
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def log(message):
    print(f"localaws launcher (moto {moto.__version__}): {message}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, help="listening socket passed by the parent")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (without --fd)")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    args = parser.parse_args()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    if args.watch_stdin:
        threading.Thread(target=exit_when_parent_leaves, daemon=True).start()

    default_user_config["stepfunctions"] = dict(STEPFUNCTIONS_CONFIG)
    disabled = set(filter(None, os.environ.get("LOCALAWS_DISABLE_PATCHES", "").split(",")))
    apply_patches(disabled)

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", args.port, app, threaded=True, fd=args.fd)
    log(f"serving on 127.0.0.1:{server.server_address[1]}, MOTO_PORT={os.environ.get('MOTO_PORT')}")
    server.serve_forever()


if __name__ == "__main__":
    main()
