"""The launcher's fixes of moto's Route 53 (moto 5.2.1), so that the local Route 53
judges change batches and lists records as Route 53 does. Imported by launcher.py;
each fix is one of its named patches, applied in this order (each wraps what the one
before left):

  delete_matches_exactly   a DELETE names one record set exactly as stored
  atomic_change_batches    a batch is judged as a whole, then applied all or nothing
  route53_list_order       ListResourceRecordSets in Route 53's order, with its paging
  health_check_caller_reference  CreateHealthCheck honours its CallerReference

What each relies on in AWS's documentation is quoted where it is used. Each fix first
probes a scratch backend for moto's defect and returns False when moto no longer has it.
"""

import copy
import functools
import sys
import threading
import uuid
from xml.sax.saxutils import escape as xml_escape

from moto.route53 import models, responses
from moto.route53.exceptions import InvalidInput, Route53ClientError
from moto.route53.utils import validate_domain_name
from werkzeug.exceptions import HTTPException

XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"

# moto's server answers requests on threads, and a batch is a read-modify-write of the zone's record sets (and, when
# rejected, a write back of the record sets it started from): two batches at once would lose one's changes. Route 53
# applies a zone's batches one at a time and never shows a batch half applied, so batches and listings take this lock.
ZONE_LOCK = threading.RLock()

# The characters Route 53 returns as themselves in names; it returns every other as a
# \NNN octal escape code: "If the domain name includes any characters other than a to z,
# 0 to 9, - (hyphen), or _ (underscore), Route 53 API actions return the characters as
# escape codes" (Developer Guide, DNS domain name format).
PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")


# --- Names -------------------------------------------------------------------------

def labels(name):
    """The labels of a name in presentation format, as bytes, lower-cased: "\\NNN"
    (three octal digits, the form Route 53 uses) and "\\X" are one character; an
    unescaped dot separates labels; a trailing dot changes nothing ("Route 53 treats
    www.example.com (without a trailing dot) and www.example.com. (with a trailing dot)
    as identical"). "Amazon Route 53 stores alphabetic characters as lowercase letters
    (a-z), regardless of how you specify them: as uppercase letters, lowercase letters,
    or the corresponding letters in escape codes" (DNS domain name format)."""
    out, label, i = [], bytearray(), 0
    while i < len(name):
        c = name[i]
        if c == "\\" and len(name[i + 1:i + 4]) == 3 and all(d in "01234567" for d in name[i + 1:i + 4]):
            label.append(int(name[i + 1:i + 4], 8) & 0xFF)
            i += 4
            continue
        if c == "\\" and i + 1 < len(name):
            label.extend(name[i + 1].encode())
            i += 2
            continue
        if c == ".":
            out.append(bytes(label))
            label = bytearray()
        else:
            label.extend(c.encode())
        i += 1
    if label:
        out.append(bytes(label))
    return [bytes(label).lower() for label in out]


@functools.lru_cache(maxsize=1 << 16)
def canonical_name(name):
    """A name as Route 53 stores and lists it: lower-case, with its trailing dot, every
    character other than a-z, 0-9, '-' and '_' as an escape code. Cached: every CREATE
    compares its key with each stored record set's (apply_change), so filling a zone of
    10,000 record sets took 50 million of these (minutes) before."""
    parts = ["".join(chr(b) if b in PLAIN else f"\\{b:03o}" for b in label) for label in labels(name or "")]
    return ".".join(parts) + "."


def sort_name(name):
    """Route 53's sort key for a name: "ListResourceRecordSets sorts results first by DNS
    name with the labels reversed, for example: com.example.www. Note the trailing dot,
    which can change the sort order when the record name contains characters that appear
    before . (decimal 46) in the ASCII table" (API Reference, ListResourceRecordSets).
    Names compare as characters, not as their escape codes: the documentation's examples
    of such characters include * (\\052), which sorts before the dot."""
    return b".".join(reversed(labels(name or ""))) + b"."


def record_key(name, type_, set_identifier):
    """Identifies a record set in a zone: its name, type and SetIdentifier."""
    return canonical_name(name), type_, set_identifier or None


def stored_key(rrset):
    return record_key(rrset.name, rrset.type, rrset.set_identifier)


def requested_key(change_rrset):
    return record_key(change_rrset.get("Name"), change_rrset.get("Type"), change_rrset.get("SetIdentifier"))


def describe(key):
    """A record set as Route 53's messages name it."""
    name, type_, set_identifier = key
    ident = f", set-identifier='{set_identifier}'" if set_identifier else ""
    return f"[name='{name}', type='{type_}'{ident}]"


# --- Errors ------------------------------------------------------------------------

class RejectedChange(Route53ClientError):
    """One problem of a change batch, as moto reports it (InvalidChangeBatch)."""

    def __init__(self, message):
        super().__init__("InvalidChangeBatch", message)


class RejectedBatch(HTTPException):
    """Route 53's answer to a rejected change batch: HTTP 400 with an InvalidChangeBatch
    document listing every problem. "This exception contains a list of messages that
    might contain one or more error messages. Each error message indicates one error in
    the change batch" (API Reference, ChangeResourceRecordSets, Errors). The AWS SDKs
    parse this document (aws-sdk-go-v2's route53 customization shows a duplicate CREATE
    answered so)."""

    code = 400

    def __init__(self, messages):
        self.messages = list(messages)
        body = "".join(f"<Message>{xml_escape(m)}</Message>" for m in self.messages)
        super().__init__(description=(
            f'<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="{XMLNS}"><Messages>{body}</Messages>'
            f"<RequestId>{uuid.uuid4()}</RequestId></InvalidChangeBatch>"))

    def get_headers(self, environ=None, scope=None):
        return [("Content-Type", "text/xml")]


def log(message):
    print(f"localaws launcher route53: {message}", file=sys.stderr, flush=True)


# --- Exact DELETE --------------------------------------------------------------------

def _int(value):
    return None if value in (None, "") else int(value)


def _ttl(rrset_ttl, alias):
    # moto stores TTL 0 for a record created without one (an alias record).
    return None if alias and not rrset_ttl else _int(rrset_ttl)


def _values(records):
    # ResourceRecords: strings when stored, {"Value": v} in a request. Route 53 treats
    # them as a set (it rejects duplicates): their order does not matter.
    return sorted(r["Value"] if isinstance(r, dict) else str(r) for r in records or [])


def _bool(value):
    return str(value).lower() == "true" if isinstance(value, str) else bool(value)


def _alias(alias):
    # Route 53 stores an alias target's DNS name as it stores names (lower-case, with
    # the trailing dot), so a DELETE may give it in any case, with or without the dot.
    if not alias:
        return None
    return (canonical_name(alias.get("DNSName")), (alias.get("HostedZoneId") or "").removeprefix("/hostedzone/"),
            _bool(alias.get("EvaluateTargetHealth")))


# The fields of a record set besides its name, type and SetIdentifier, and moto's names
# for them on its RecordSet (it keeps no CidrRoutingConfig or GeoProximityLocation:
# stored_rrset adds them).
FIELDS = {"TTL": "ttl", "ResourceRecords": "records", "AliasTarget": "alias_target", "Weight": "weight",
          "HealthCheckId": "health_check_id", "Failover": "failover", "Region": "region",
          "GeoLocation": "geo_location", "MultiValueAnswer": "multi_value_answer",
          "CidrRoutingConfig": "cidr_routing_config", "GeoProximityLocation": "geo_proximity_location"}


def compared_fields(get):
    """Every field a DELETE must repeat, as compared; get(field) reads one."""
    out = {field: get(field) or None for field in FIELDS}
    out.update(TTL=_ttl(get("TTL"), get("AliasTarget")), ResourceRecords=_values(get("ResourceRecords")),
               AliasTarget=_alias(get("AliasTarget")), Weight=_int(get("Weight")),
               MultiValueAnswer=_bool(get("MultiValueAnswer")))
    return out


def stored_fields(rrset):
    return compared_fields(lambda field: getattr(rrset, FIELDS[field], None))


def delete_exactly(zone, change_rrset):
    """Deletes the one record set of zone that change_rrset names, when every field
    matches, or raises Route 53's error. "To delete a resource record set, you must
    specify all the same values that you specified when you created it" (API Reference,
    ChangeResourceRecordSets); the messages are Route 53's."""
    key = requested_key(change_rrset)
    for i, stored in enumerate(zone.rrsets):
        if stored_key(stored) != key:
            continue
        if stored_fields(stored) != compared_fields(change_rrset.get):
            raise RejectedChange(f"Tried to delete resource record set {describe(key)} "
                                 "but the values provided do not match the current values")
        zone.rrsets = zone.rrsets[:i] + zone.rrsets[i + 1:]
        return
    raise RejectedChange(f"Tried to delete resource record set {describe(key)} but it was not found")


def check_name_in_zone(zone, change_rrset):
    """moto's checks of a change's name, with the zone test made label-wise
    (moto's endswith lets badexample.com into example.com)."""
    name = change_rrset.get("Name") or ""
    validate_domain_name(name, code="InvalidChangeBatch")
    record, apex = labels(name), labels(zone.name)
    if record[len(record) - len(apex):] != apex:
        raise RejectedChange(f"RRSet with DNS name {canonical_name(name)} is not permitted in zone {zone.name}")


def _probe_zone():
    backend = models.Route53Backend("us-east-1", "123456789012")
    return backend, backend.create_hosted_zone("probe.example.", private_zone=False)


def _a(name, set_identifier=None, weight=None, value="192.0.2.1"):
    rrset = {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}]}
    if set_identifier:
        rrset.update(SetIdentifier=set_identifier, Weight=weight)
    return rrset


def delete_matches_exactly():
    """moto matches a DELETE by name and type only, checking just the TTL and values
    against its journal of past changes (a DELETE whose Weight differs deletes the
    record), and a DELETE with a SetIdentifier deletes every record set of the zone that
    has that identifier, whatever its name. A DELETE now removes exactly the record set it
    names (name, type, SetIdentifier) when every other field matches what is stored, and
    is rejected otherwise, with Route 53's messages."""
    backend, zone = _probe_zone()
    backend.change_resource_record_sets(zone.id, [
        {"Action": "CREATE", "ResourceRecordSet": _a("a.probe.example", "x", 1)},
        {"Action": "CREATE", "ResourceRecordSet": _a("b.probe.example", "x", 1)}])
    try:
        backend.change_resource_record_sets(zone.id, [
            {"Action": "DELETE", "ResourceRecordSet": _a("a.probe.example", "x", 2)}])
    except Exception:
        return False

    original = models.Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self, zoneid, change_list):
        the_zone = self.get_hosted_zone(zoneid)
        for change in change_list:  # one change at a time, as moto (not atomic)
            if change.get("Action") != "DELETE":
                original(self, zoneid, [change])
                continue
            rrset = change["ResourceRecordSet"]
            check_name_in_zone(the_zone, rrset)
            delete_exactly(the_zone, rrset)
            the_zone.rr_changes.append(copy.deepcopy(change))

    models.Route53Backend.change_resource_record_sets = change_resource_record_sets
    return True


# --- Atomic batches --------------------------------------------------------------------

def stored_rrset(zone, change_rrset):
    """The record set a CREATE or UPSERT stores: moto's RecordSet, with the name (and an
    alias target's name) as Route 53 stores them, and the fields moto does not keep."""
    check_name_in_zone(zone, change_rrset)
    fields = copy.deepcopy(change_rrset)
    fields["Name"] = canonical_name(fields["Name"])
    fields["ResourceRecords"] = [r["Value"] for r in fields.get("ResourceRecords") or []]
    if fields.get("AliasTarget"):
        fields["AliasTarget"]["DNSName"] = canonical_name(fields["AliasTarget"].get("DNSName"))
    rrset = models.RecordSet(fields)
    rrset.cidr_routing_config = fields.get("CidrRoutingConfig")
    rrset.geo_proximity_location = fields.get("GeoProximityLocation")
    return rrset


def apply_change(backend, inner, zone, change):
    """Applies one change to the zone's working state, or raises why it cannot. CREATE:
    "Creates a resource record set that has the specified values", rejected when the record
    set exists; UPSERT: "If a resource record set doesn't already exist, Route 53 creates
    it. If a resource record set does exist, Route 53 updates it with the values in the
    request" (API Reference, Change). DELETE goes to inner (moto's, or
    delete_matches_exactly's)."""
    action, rrset = change.get("Action"), change.get("ResourceRecordSet") or {}
    if action not in ("CREATE", "UPSERT"):
        inner(backend, zone.id, [change])
        return
    new = stored_rrset(zone, rrset)
    key = stored_key(new)
    at = next((i for i, old in enumerate(zone.rrsets) if stored_key(old) == key), None)
    if action == "CREATE" and at is not None:
        raise RejectedChange(f"Tried to create resource record set {describe(key)} but it already exists")
    if at is None:
        zone.rrsets = zone.rrsets + [new]
    else:
        zone.rrsets = zone.rrsets[:at] + [new] + zone.rrsets[at + 1:]
    zone.rr_changes.append(copy.deepcopy(change))


def atomic_change_batches():
    """moto applies a batch change by change and stops at the first bad one, leaving the
    changes before it applied; and it judges a CREATE by its journal of past changes (a
    CREATE of an existing name and type with other values is accepted, a CREATE that
    repeats an earlier one can be refused when nothing exists). "Change batches are
    considered transactional changes. Route 53 validates the changes in the request and
    then either makes all or none of the changes in the change batch request" (API
    Reference, ChangeResourceRecordSets). Each change is now judged against the zone as
    the changes before it leave it (so a DELETE then a CREATE of one record set is valid,
    and a record set cannot be deleted twice); when any is rejected, nothing is applied
    and the answer lists every problem. A CREATE or UPSERT stores names as Route 53
    does (lower-case, escape codes, trailing dot), which moto keeps as given. Batches
    are applied one at a time (ZONE_LOCK), as Route 53 applies them."""
    backend, zone = _probe_zone()
    try:
        backend.change_resource_record_sets(zone.id, [
            {"Action": "CREATE", "ResourceRecordSet": _a("c.probe.example")},
            {"Action": "CREATE", "ResourceRecordSet": _a("c.elsewhere.test")}])
    except Exception:
        pass
    if not any(r.name.startswith("c.probe.example") for r in zone.rrsets):
        return False

    inner = models.Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self, zoneid, change_list):
        with ZONE_LOCK:
            atomic(self, zoneid, change_list)

    def atomic(self, zoneid, change_list):
        the_zone = self.get_hosted_zone(zoneid)
        saved_rrsets, saved_changes = list(the_zone.rrsets), list(the_zone.rr_changes)
        problems = []
        try:
            for change in change_list:
                try:
                    apply_change(self, inner, the_zone, copy.deepcopy(change))
                except Route53ClientError as e:
                    if e.code != "InvalidChangeBatch":
                        raise
                    problems.append(e.message)
        except BaseException:
            the_zone.rrsets, the_zone.rr_changes[:] = saved_rrsets, saved_changes
            raise
        if problems:
            the_zone.rrsets, the_zone.rr_changes[:] = saved_rrsets, saved_changes
            log(f"rejected a batch of {len(change_list)} changes in {the_zone.name}: {problems}")
            raise RejectedBatch(problems)

    models.Route53Backend.change_resource_record_sets = change_resource_record_sets
    return True


# --- List order ----------------------------------------------------------------------

def sort_key(rrset):
    """Route 53's order: "first by DNS name with the labels reversed", then "When multiple
    records have the same DNS name, ListResourceRecordSets sorts results by the record
    type" (API Reference, ListResourceRecordSets), then by SetIdentifier, the third part of
    the position StartRecordIdentifier and NextRecordIdentifier name."""
    return sort_name(rrset.name), rrset.type or "", rrset.set_identifier or ""


def record_sets_from(zone, start_type, start_name, start_identifier=None):
    """The zone's record sets in Route 53's order, from a position: "If you specify Name
    but not Type: The results begin with the first resource record set in the list whose
    name is greater than or equal to Name. [...] If you specify both Name and Type: The
    results begin with the first resource record set in the list whose name is greater
    than or equal to Name, and whose type is greater than or equal to Type"; a
    StartRecordIdentifier (from NextRecordIdentifier) continues within that name and type."""
    ordered = sorted(zone.rrsets, key=sort_key)
    if not start_name:
        return ordered
    start = (sort_name(start_name),)
    if start_type:
        start += (start_type,)
        if start_identifier:
            start += (start_identifier,)
    return [r for r in ordered if sort_key(r)[:len(start)] >= start]


def route53_list_order():
    """moto sorts names with their labels reversed but without the trailing dot, so
    <app>.<zone> sorts before <app>-<id>.<zone> (Route 53: after it); it ignores
    StartRecordIdentifier and never answers NextRecordIdentifier, so a page that ends
    inside a weighted group starts the next page at that group's first record again.
    ListResourceRecordSets now lists in Route 53's order (names compared as Route 53
    stores them, lower-case, escape codes read as the characters), from
    StartRecordName/StartRecordType/StartRecordIdentifier, in pages of at most MaxItems
    (at most 300: "ListResourceRecordSets returns up to 300 resource record sets at a
    time"), with NextRecordName/Type/Identifier naming the first record set of the next."""
    _, zone = _probe_zone()
    zone.add_rrset(_a("x.probe.example."))
    zone.add_rrset(_a("x-y.probe.example."))
    names = [r.name for r in zone.get_record_sets("", "")]
    if names.index("x-y.probe.example.") < names.index("x.probe.example."):
        return False

    def get_record_sets(self, start_type, start_name, start_identifier=None):
        with ZONE_LOCK:
            return record_sets_from(self, start_type, start_name, start_identifier)

    def list_resource_record_sets(self):
        zoneid = self._get_param("HostedZoneId")
        start_name = self._get_param("StartRecordName")
        start_type = self._get_param("StartRecordType")
        start_identifier = self._get_param("StartRecordIdentifier")
        max_items = self._get_int_param("MaxItems", 300)
        if start_type and not start_name:
            raise InvalidInput("The input is not valid")  # moto's answer, as Route 53's
        if start_name:
            validate_domain_name(start_name)
        sets = self.backend.get_hosted_zone(zoneid).get_record_sets(start_type, start_name, start_identifier)
        page, rest = sets[:max(0, min(max_items, 300))], sets[max(0, min(max_items, 300)):]
        result = {"ResourceRecordSets": page, "IsTruncated": bool(rest), "MaxItems": max_items}
        if rest:
            result.update(NextRecordName=rest[0].name, NextRecordType=rest[0].type)
            if rest[0].set_identifier:
                result["NextRecordIdentifier"] = rest[0].set_identifier
        return responses.ActionResult(result)

    models.FakeZone.get_record_sets = get_record_sets
    responses.Route53.list_resource_record_sets = list_resource_record_sets
    return True


# --- Health checks ---------------------------------------------------------------------
class HealthCheckAlreadyExists(Route53ClientError):
    def __init__(self, caller_reference):
        super().__init__("HealthCheckAlreadyExists",
                         f"A health check with CallerReference {caller_reference} already exists or was deleted recently,"
                         " with other settings or since deleted")


def health_check_caller_reference():
    """moto creates a new health check for every CreateHealthCheck, ignoring its
    CallerReference. Route 53: "If you send a CreateHealthCheck request with the same
    CallerReference and settings as a previous request, and if the health check doesn't
    exist, Amazon Route 53 creates the health check. If the health check does exist, Route
    53 returns the settings for the existing health check. If you send a CreateHealthCheck
    request with the same CallerReference as a deleted health check, regardless of the
    settings, Route 53 returns a HealthCheckAlreadyExists error. If you send a
    CreateHealthCheck request with the same CallerReference as an existing health check but
    with different settings, Route 53 returns a HealthCheckAlreadyExists error" (API
    Reference, CreateHealthCheck). A retried create after a lost answer now returns the check
    the first one made; the references of deleted checks are kept (Route 53 keeps them for
    some days, longer than any local run)."""
    backend = models.Route53Backend("us-east-1", "123456789012")
    args = {"type": "HTTP", "fqdn": "probe.example", "port": 80}
    if backend.create_health_check("probe", dict(args)).id == backend.create_health_check("probe", dict(args)).id:
        return False

    original = models.Route53Backend.create_health_check

    def settings(args):
        return tuple(sorted((k, repr(v)) for k, v in args.items()))

    def create_health_check(self, caller_reference, health_check_args):
        refs = self.__dict__.setdefault("_bluegreen_caller_references", {})  # reference -> (id, settings)
        key = settings(health_check_args)
        if caller_reference in refs:
            hc_id, was = refs[caller_reference]
            existing = self.health_checks.get(hc_id)
            if existing is not None and was == key:
                return existing
            raise HealthCheckAlreadyExists(caller_reference)
        hc = original(self, caller_reference, health_check_args)
        refs[caller_reference] = (hc.id, key)
        return hc

    models.Route53Backend.create_health_check = create_health_check
    return True


PATCHES = [delete_matches_exactly, atomic_change_batches, route53_list_order, health_check_caller_reference]
