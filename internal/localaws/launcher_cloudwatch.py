"""Local AWS launcher: fixes of moto's CloudWatch (see launcher.py).

Each fix names the moto defect it works around, checks that the installed moto
still has it, and returns False (not applied) when it does not.
"""

from datetime import datetime, timedelta, timezone


class _OneNamespace:
    """A CloudWatch backend seen through one namespace: its metric data only."""

    def __init__(self, backend, namespace):
        self._backend = backend
        self._namespace = namespace

    def get_all_metrics(self):
        return [md for md in self._backend.get_all_metrics() if md.namespace == self._namespace]

    def __getattr__(self, name):
        return getattr(self._backend, name)


def _mixes_namespaces(get_metric_data, backend_class):
    """Whether get_metric_data counts another namespace's data of the same metric name and dimensions."""
    backend = backend_class("us-east-1", "123456789012")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    datum = {"MetricName": "RequestCount", "Value": 1.0, "Timestamp": now,
             "Dimensions": [{"Name": "LoadBalancer", "Value": "app/probe/1"}]}
    backend.put_metric_data("AWS/ApplicationELB", [dict(datum)])
    backend.put_metric_data("Other/Namespace", [dict(datum)])
    query = {"Id": "q", "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount",
                                                  "Dimensions": datum["Dimensions"]}, "Period": 60, "Stat": "Sum"}}
    results = get_metric_data(backend, [query], now - timedelta(minutes=1), now + timedelta(minutes=1))
    return sum(results[0]["values"]) != 1


def get_metric_data_keeps_namespaces():
    """moto: GetMetricData ignores a MetricStat's Namespace when the metric has
    Dimensions, so another namespace's metric of the same name and dimensions
    is counted with it (a test's RequestCount in its own namespace would be an
    ALB's). CloudWatch identifies a metric by namespace, name and dimensions.
    A call of MetricStat queries only (the split verification's) is answered
    query by query, each from its own namespace's data; calls with expressions,
    which refer to other queries, are left as they are."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.get_metric_data
    if not _mixes_namespaces(original, CloudWatchBackend):
        return False

    def get_metric_data(self, queries, start_time, end_time, scan_by="TimestampAscending"):
        if not queries or any("MetricStat" not in q for q in queries):
            return original(self, queries, start_time, end_time, scan_by)
        results = []
        for query in queries:
            view = _OneNamespace(self, query["MetricStat"]["Metric"]["Namespace"])
            results.extend(original(view, [query], start_time, end_time, scan_by))
        return results

    CloudWatchBackend.get_metric_data = get_metric_data
    return True


def _keeps_seconds(put_metric_data, backend_class):
    """Whether put_metric_data keeps a standard-resolution datum's seconds."""
    backend = backend_class("us-east-1", "123456789012")
    at = datetime.now(timezone.utc).replace(second=30, microsecond=0)
    put_metric_data(backend, "Probe/Namespace", [{"MetricName": "RequestCount", "Value": 1.0, "Timestamp": at}])
    return backend.metric_data[-1].timestamp.second != 0


def standard_resolution_to_the_minute():
    """moto: PutMetricData ignores StorageResolution and keeps every datum at
    its own timestamp, so a standard-resolution metric answers a 1-second
    period as if it were high resolution. CloudWatch stores a standard-resolution
    metric (StorageResolution 60, the default) with one-minute granularity, and
    only a high-resolution one (StorageResolution 1) by the second (CloudWatch
    User Guide, "High-resolution metrics"). Standard-resolution data is stored at
    the start of its minute."""
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.core.utils import utcnow

    original = CloudWatchBackend.put_metric_data
    if not _keeps_seconds(original, CloudWatchBackend):
        return False

    def put_metric_data(self, namespace, metric_data):
        for metric in metric_data:
            if str(metric.get("StorageResolution") or "60") == "1":
                continue
            at = metric.get("Timestamp") or utcnow()
            if isinstance(at, datetime):
                metric["Timestamp"] = at.replace(second=0, microsecond=0)
        return original(self, namespace, metric_data)

    CloudWatchBackend.put_metric_data = put_metric_data
    return True


PATCHES = [get_metric_data_keeps_namespaces, standard_resolution_to_the_minute]
