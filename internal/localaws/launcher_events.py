"""The AWS services' EventBridge events, sent to the local AWS's event bus.

moto's EventBridge cannot start an execution from a rule (a state machine target
fails), and moto's services emit few of the events AWS documents. The local AWS's
default bus is the gateway's (internal/localaws/eventbus); these patches make
moto's S3, ECR and Step Functions send it their events, in the shape AWS
documents, as AWS services deliver theirs to the default bus: asynchronously, in
order, on a best-effort basis (a failed send is logged and dropped).

Each patch checks that moto still lacks what it adds, and returns False (not
applied) when moto has it; LOCALAWS_DISABLE_PATCHES leaves it out, for the tests
that prove each one matters (internal/localaws/events_patches_test.go).
"""

import datetime
import inspect
import json
import os
import queue
import sys
import threading
import urllib.request
import uuid

_outbox = queue.Queue()
_sender = None
_sender_lock = threading.Lock()


def _bus_url():
    port = os.environ.get("MOTO_PORT")
    return f"http://127.0.0.1:{port}/_localaws/events/service" if port else None


def _send_loop():
    while True:
        event = _outbox.get()
        url = _bus_url()
        if url is None:
            continue
        try:
            req = urllib.request.Request(
                url, data=json.dumps(event).encode(), headers={"Content-Type": "application/json"}, method="POST"
            )
            urllib.request.urlopen(req, timeout=10).close()
        except Exception as err:  # best effort, as AWS delivers service events
            print(f"localaws launcher: event {event.get('detail-type')} not delivered: {err}", file=sys.stderr, flush=True)


def send(event):
    """Queues an event for the bus; one thread sends them in order."""
    global _sender
    with _sender_lock:
        if _sender is None:
            _sender = threading.Thread(target=_send_loop, daemon=True, name="localaws-events")
            _sender.start()
    _outbox.put(event)


def _envelope(detail_type, source, account, region, resources, detail):
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def _moto_bus_starts_executions():
    from moto.events.models import Rule

    return "states" in inspect.getsource(Rule.send_to_targets)


# The reason S3 gives each way an object is created ("Using EventBridge", Amazon S3 User Guide: PutObject, POST
# Object, CopyObject, CompleteMultipartUpload).
S3_REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
}

_s3_local = threading.local()


def s3_object_created_events():
    """moto's S3 sends its EventBridge events to moto's own bus, which cannot start
    executions, and in a shape S3 does not send: reason "ObjectCreated" for every way
    an object is made, "eTag" for "etag", a numeric time, a fixed requester and
    sequencer, a version id on unversioned buckets; and a multipart upload sends a
    PutObject event before its CompleteMultipartUpload one. Now a bucket with
    EventBridge notifications sends one "Object Created" event per PutObject, POST
    Object, CopyObject or CompleteMultipartUpload, as the S3 User Guide documents it
    ("EventBridge event message structure"), to the local bus."""
    from moto.s3 import models, notifications

    source = inspect.getsource(notifications._send_event_bridge_message)
    if _moto_bus_starts_executions() and 'split(":")[1]' not in source:
        return False

    original_complete = models.S3Backend.complete_multipart_upload

    def complete_multipart_upload(self, *args, **kwargs):
        _s3_local.completing = True  # the put_object it makes is part of this upload
        try:
            key = original_complete(self, *args, **kwargs)
        finally:
            _s3_local.completing = False
        return key

    sequence = [0]
    sequence_lock = threading.Lock()

    def send_event_bridge_message(account_id, bucket, event_name, key):
        reason = S3_REASONS.get(event_name)
        if reason is None:
            return  # only Object Created is modelled
        if reason == "PutObject" and getattr(_s3_local, "completing", False):
            return  # the put inside a CompleteMultipartUpload: S3 sends one event, the upload's
        with sequence_lock:
            sequence[0] += 1
            sequencer = "%018X" % sequence[0]
        obj = {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""), "sequencer": sequencer}
        if bucket.is_versioned:
            obj["version-id"] = key.version_id
        detail = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
            "reason": reason,
        }
        send(_envelope("Object Created", "aws.s3", account_id, bucket.region_name, [bucket.arn], detail))

    models.S3Backend.complete_multipart_upload = complete_multipart_upload
    notifications._send_event_bridge_message = send_event_bridge_message
    return True


def ecr_image_action_events():
    """moto's ECR sends no events. Now PutImage sends "ECR Image Action" (Amazon ECR
    User Guide, "Amazon ECR events and EventBridge"): a completed push with result
    SUCCESS, the repository, the image's digest and its tag; a push ECR refuses (a
    tag that already exists on an immutable repository, say) with result FAILURE."""
    from moto.ecr.models import ECRBackend

    if "events" in inspect.getsource(ECRBackend.put_image):
        return False
    original = ECRBackend.put_image

    def put_image(self, repository_name, image_manifest, image_tag, *args, **kwargs):
        detail = {"repository-name": repository_name, "action-type": "PUSH"}
        if image_tag:
            detail["image-tag"] = image_tag
        try:
            image = original(self, repository_name, image_manifest, image_tag, *args, **kwargs)
        except Exception:
            if repository_name not in self.repositories:
                raise  # no repository, no push
            detail["result"] = "FAILURE"
            send(_envelope("ECR Image Action", "aws.ecr", self.account_id, self.region_name, [], detail))
            raise
        detail["result"] = "SUCCESS"
        detail["image-digest"] = image.get_image_digest()
        send(_envelope("ECR Image Action", "aws.ecr", self.account_id, self.region_name, [], detail))
        return image

    ECRBackend.put_image = put_image
    return True


# Step Functions leaves the input out of its event when the escaped input and output together pass 248 KB, and
# the output when it alone does ("EventBridge (CloudWatch Events) for Step Functions execution status changes",
# EventBridge payloads).
SFN_PAYLOAD_LIMIT = 248 * 1024


def _millis(t):
    return None if t is None else int(t.timestamp() * 1000)


def _status_event(execution):
    status = execution.exec_status.value
    sm = execution.state_machine
    machine_arn = getattr(sm, "source_arn", None) or sm.arn
    inp = json.dumps(execution.input_data, separators=(",", ":"))
    out = None
    if status == "SUCCEEDED":
        out = json.dumps(execution.output, separators=(",", ":"))
    escaped = lambda s: 0 if s is None else len(json.dumps(s)) - 2  # noqa: E731
    out_included = out is None or escaped(out) <= SFN_PAYLOAD_LIMIT
    if not out_included:
        out = None
    in_included = escaped(inp) + escaped(out) <= SFN_PAYLOAD_LIMIT
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _millis(execution.start_date),
        "stopDate": _millis(execution.stop_date),
        "input": inp if in_included else None,
        "output": out,
        "inputDetails": {"included": in_included},
        "outputDetails": {"included": out_included} if status == "SUCCEEDED" else None,
        "error": execution.error,
        "cause": execution.cause,
    }
    return _envelope(
        "Step Functions Execution Status Change", "aws.states", execution.account_id, execution.region_name,
        [execution.exec_arn], detail,
    )


def sfn_execution_status_events():
    """moto's Step Functions sends no "Step Functions Execution Status Change"
    events. Now a standard workflow's execution sends one when it starts (RUNNING)
    and one when it ends (SUCCEEDED, FAILED, TIMED_OUT or ABORTED — at the stop
    itself when the stop ends it at once), with the detail the Step Functions
    Developer Guide documents; express workflows send none."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend import execution as module

    if "events" in inspect.getsource(module.BaseExecutionWorkerCommunication):
        return False
    Execution, Comm = module.Execution, module.BaseExecutionWorkerCommunication

    def emit(execution):
        if type(execution) is not Execution or str(getattr(execution.sm_type, "value", execution.sm_type)) == "EXPRESS":
            return  # express workflows emit no events
        status = execution.exec_status
        if status is None or (status != ExecutionStatus.RUNNING and getattr(execution, "_localaws_ended", False)):
            return
        if status != ExecutionStatus.RUNNING:
            execution._localaws_ended = True
        send(_status_event(execution))

    original_start, original_stop, original_terminated = Execution.start, Execution.stop, Comm.terminated

    def start(self):
        # RUNNING is sent just before the worker runs, so that it always comes before the execution's end.
        make_worker = self._get_start_execution_worker

        def worker():
            w = make_worker()
            run = w.start

            def start_worker():
                emit(self)
                run()

            w.start = start_worker
            return w

        self._get_start_execution_worker = worker
        try:
            original_start(self)
        finally:
            del self._get_start_execution_worker

    def stop(self, stop_date, error, cause):
        original_stop(self, stop_date, error, cause)
        if self.exec_status != ExecutionStatus.RUNNING:
            emit(self)

    def terminated(self):
        original_terminated(self)
        emit(self.execution)

    Execution.start, Execution.stop, Comm.terminated = start, stop, terminated
    return True


PATCHES = [s3_object_created_events, ecr_image_action_events, sfn_execution_status_events]
