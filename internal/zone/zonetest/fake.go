// Package zonetest is an in-memory Route 53 for tests that behaves like the service where the deployer depends on
// it: change batches are judged as Route 53 judges them, with this package's own logic rather than the records.Apply
// the deployer validates with (a DELETE must repeat the stored record set exactly, a CREATE of an existing one, a
// simple record beside weighted ones, a CNAME beside another type, an unquoted TXT value are rejected), each change
// against the zone as the changes before it leave it, and applied all or nothing; listings are in Route 53's order and
// paginated; changes can be left PENDING for a number of GetChange calls, and calls can be throttled. It counts
// accepted and rejected calls.
package zonetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Fake is an in-memory Route 53 with one or more hosted zones.
type Fake struct {
	mu      sync.Mutex
	zones   map[string]*hostedZone
	changes map[string]int       // change id → GetChange calls left before INSYNC
	synced  map[string]time.Time // change id → when it propagates (Propagation after it was accepted)
	seq     int

	// PageSize bounds ListResourceRecordSets pages (default 3, to exercise pagination).
	PageSize int
	// PendingChecks leaves each accepted change PENDING for this many GetChange calls.
	PendingChecks int
	// Propagation leaves each accepted change PENDING for this long (as well), as Route 53 does while it propagates.
	Propagation time.Duration
	// Throttle makes the next N ChangeResourceRecordSets calls fail with Throttling (before any change).
	Throttle int
	// LoseAnswers makes the next N accepted ChangeResourceRecordSets calls apply their batch and then answer
	// InvalidChangeBatch, as the SDK's retry of a call whose answer was lost does.
	LoseAnswers int
	// Accepted and Rejected count calls by operation name; Rejected includes throttled calls.
	Accepted map[string]int
	Rejected map[string]int
	// Batches are the accepted change batches, in order.
	Batches []records.Batch
	// Log lists the accepted writes in order — "change <comment>", "create-health-check <id> <CallerReference>",
	// "delete-health-check <id>" — so a test can say which came first.
	Log []string

	checks healthChecks
	// ThrottleHealthChecks makes the next N CreateHealthCheck calls fail with Throttling, as CreateHealthCheck's
	// own bucket (0.5 a second after a burst of 50) does.
	ThrottleHealthChecks int
	// Unhealthy names the health checks whose status GetHealthCheckStatus reports as failing.
	Unhealthy map[string]bool
}

type hostedZone struct {
	info    records.Zone
	rs      []records.Record
	private bool
}

// SetPrivate makes a zone a private hosted zone (answered only inside its VPCs).
func (f *Fake) SetPrivate(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.zones[id].private = true
}

// New returns a fake with no zones.
func New() *Fake {
	return &Fake{zones: map[string]*hostedZone{}, changes: map[string]int{}, PageSize: 3,
		Accepted: map[string]int{}, Rejected: map[string]int{}}
}

// AddZone creates a hosted zone holding rs (SOA and NS records are added, as Route 53 does).
func (f *Fake) AddZone(id, name string, rs ...records.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := []records.Record{
		{Name: name, Type: "NS", TTL: 172800, Values: []string{"ns-1.awsdns-00.com."}},
		{Name: name, Type: "SOA", TTL: 900, Values: []string{"ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}},
	}
	f.zones[id] = &hostedZone{info: records.Zone{ID: id, Name: name}, rs: append(base, rs...)}
}

// Records returns a zone's records.
func (f *Fake) Records(id string) []records.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]records.Record, 0, len(f.zones[id].rs))
	for _, r := range f.zones[id].rs {
		out = append(out, r.Clone())
	}
	return out
}

// Set replaces a zone's records without any check (to build states Route 53 would not let the deployer reach).
func (f *Fake) Set(id string, rs []records.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.zones[id].rs = rs
}

func apiError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}

func (f *Fake) zone(op, id string) (*hostedZone, error) {
	z, ok := f.zones[strings.TrimPrefix(id, "/hostedzone/")]
	if !ok {
		f.Rejected[op]++
		return nil, &types.NoSuchHostedZone{Message: aws.String("No hosted zone found with ID: " + id)}
	}
	return z, nil
}

// GetHostedZone implements Route 53's GetHostedZone.
func (f *Fake) GetHostedZone(_ context.Context, in *route53.GetHostedZoneInput, _ ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	z, err := f.zone("GetHostedZone", aws.ToString(in.Id))
	if err != nil {
		return nil, err
	}
	f.Accepted["GetHostedZone"]++
	return &route53.GetHostedZoneOutput{HostedZone: &types.HostedZone{
		Id: aws.String("/hostedzone/" + z.info.ID), Name: aws.String(z.info.Name + "."), CallerReference: aws.String("fake"),
		Config: &types.HostedZoneConfig{PrivateZone: z.private},
	}}, nil
}

// ListResourceRecordSets implements Route 53's listing: in Route 53's order (see routeOrder), from
// StartRecordName/Type/Identifier, in pages of PageSize (or MaxItems, when smaller), names with their trailing dot
// and escape codes as Route 53 lists them.
func (f *Fake) ListResourceRecordSets(_ context.Context, in *route53.ListResourceRecordSetsInput, _ ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const op = "ListResourceRecordSets"
	z, err := f.zone(op, aws.ToString(in.HostedZoneId))
	if err != nil {
		return nil, err
	}
	if in.StartRecordType != "" && in.StartRecordName == nil {
		f.Rejected[op]++
		return nil, &types.InvalidInput{Message: aws.String("The input is not valid")}
	}
	f.Accepted[op]++
	rs := slices.Clone(z.rs)
	slices.SortStableFunc(rs, routeOrder)
	start := 0
	if in.StartRecordName != nil {
		from := records.Record{Name: unescape(*in.StartRecordName), Type: string(in.StartRecordType), SetIdentifier: aws.ToString(in.StartRecordIdentifier)}
		for start < len(rs) && startsAfter(rs[start], from) {
			start++
		}
	}
	size := f.PageSize
	if size <= 0 {
		size = 100
	}
	if m := int(aws.ToInt32(in.MaxItems)); m > 0 && m < size {
		size = m
	}
	end := min(start+size, len(rs))
	out := &route53.ListResourceRecordSetsOutput{MaxItems: aws.Int32(int32(size))}
	for _, r := range rs[start:end] {
		sdk := zone.ToSDK(r)
		sdk.Name = aws.String(escape(r.Name))
		out.ResourceRecordSets = append(out.ResourceRecordSets, *sdk)
	}
	if end < len(rs) {
		next := rs[end]
		out.IsTruncated = true
		out.NextRecordName, out.NextRecordType = aws.String(escape(next.Name)), types.RRType(next.Type)
		if next.SetIdentifier != "" {
			out.NextRecordIdentifier = aws.String(next.SetIdentifier)
		}
	}
	return out, nil
}

// routeOrder is Route 53's order: "ListResourceRecordSets sorts results first by DNS name with the labels reversed,
// for example: com.example.www. Note the trailing dot, which can change the sort order when the record name contains
// characters that appear before . (decimal 46) in the ASCII table" (API Reference, ListResourceRecordSets), names
// compared as characters, lower-case; then by type; then by SetIdentifier.
func routeOrder(a, b records.Record) int {
	return cmp.Or(strings.Compare(routeName(a.Name), routeName(b.Name)), strings.Compare(a.Type, b.Type),
		strings.Compare(a.SetIdentifier, b.SetIdentifier))
}

func routeName(name string) string {
	labels := strings.Split(canon(name), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".") + "."
}

// startsAfter reports whether r lies before the position from names: "The results begin with the first resource
// record set in the list whose name is greater than or equal to Name, and whose type is greater than or equal to
// Type"; the identifier (NextRecordIdentifier) continues within a name and type.
func startsAfter(r, from records.Record) bool {
	if c := strings.Compare(routeName(r.Name), routeName(from.Name)); c != 0 || from.Type == "" {
		return c < 0
	}
	if c := strings.Compare(r.Type, from.Type); c != 0 || from.SetIdentifier == "" {
		return c < 0
	}
	return r.SetIdentifier < from.SetIdentifier
}

// escape writes a name as Route 53 lists it: "If the domain name includes any characters other than a to z, 0 to 9,
// - (hyphen), or _ (underscore), Route 53 API actions return the characters as escape codes" (\NNN, octal), with
// the trailing dot.
func escape(name string) string {
	var b strings.Builder
	for _, c := range []byte(canon(name)) {
		switch {
		case c == '.' || c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	return b.String() + "."
}

// unescape reads a name given with escape codes (\NNN, octal), as Route 53 does, and canonicalizes it.
func unescape(name string) string { return canon(zone.Unescape(name)) }

// ChangeResourceRecordSets implements Route 53's all-or-nothing change batch (see judge): a malformed request is
// answered InvalidInput, a batch that breaks Route 53's rules InvalidChangeBatch listing every problem.
func (f *Fake) ChangeResourceRecordSets(_ context.Context, in *route53.ChangeResourceRecordSetsInput, _ ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const op = "ChangeResourceRecordSets"
	if f.Throttle > 0 {
		f.Throttle--
		f.Rejected[op]++
		return nil, apiError("Throttling", "Rate exceeded")
	}
	z, err := f.zone(op, aws.ToString(in.HostedZoneId))
	if err != nil {
		return nil, err
	}
	b := records.Batch{Comment: aws.ToString(in.ChangeBatch.Comment)}
	for _, c := range in.ChangeBatch.Changes {
		b.Changes = append(b.Changes, records.Change{Action: records.Action(c.Action), Record: zone.FromSDK(*c.ResourceRecordSet)})
	}
	v := judge(z.info, z.rs, b.Changes)
	v.problems = append(v.problems, f.missingChecks(b.Changes)...)
	switch {
	case v.invalidInput != "":
		f.Rejected[op]++
		return nil, &types.InvalidInput{Message: aws.String(v.invalidInput)}
	case len(v.problems) > 0:
		f.Rejected[op]++
		return nil, &types.InvalidChangeBatch{Message: aws.String(strings.Join(v.problems, "; ")), Messages: v.problems}
	}
	z.rs = v.next
	if f.LoseAnswers > 0 {
		f.LoseAnswers--
		f.Accepted[op]++
		f.Rejected[op]++
		f.Batches = append(f.Batches, b)
		return nil, &types.InvalidChangeBatch{Message: aws.String("the retry of an applied batch: a DELETE finds nothing")}
	}
	f.seq++
	id := fmt.Sprintf("C%06d", f.seq)
	f.changes[id] = f.PendingChecks
	if f.synced == nil {
		f.synced = map[string]time.Time{}
	}
	f.synced[id] = time.Now().Add(f.Propagation)
	f.Accepted[op]++
	f.Batches = append(f.Batches, b)
	f.Log = append(f.Log, "change "+b.Comment)
	status := types.ChangeStatusInsync
	if f.PendingChecks > 0 || f.Propagation > 0 {
		status = types.ChangeStatusPending
	}
	return &route53.ChangeResourceRecordSetsOutput{ChangeInfo: &types.ChangeInfo{
		Id: aws.String("/change/" + id), Status: status, SubmittedAt: aws.Time(time.Now()),
	}}, nil
}

// GetChange implements Route 53's GetChange: PENDING for PendingChecks calls and until Propagation has passed, then
// INSYNC.
func (f *Fake) GetChange(_ context.Context, in *route53.GetChangeInput, _ ...func(*route53.Options)) (*route53.GetChangeOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := strings.TrimPrefix(aws.ToString(in.Id), "/change/")
	left, ok := f.changes[id]
	if !ok {
		f.Rejected["GetChange"]++
		return nil, &types.NoSuchChange{Message: aws.String("no change " + id)}
	}
	f.Accepted["GetChange"]++
	status := types.ChangeStatusInsync
	if left > 0 {
		f.changes[id] = left - 1
		status = types.ChangeStatusPending
	} else if time.Now().Before(f.synced[id]) {
		status = types.ChangeStatusPending
	}
	return &route53.GetChangeOutput{ChangeInfo: &types.ChangeInfo{Id: aws.String("/change/" + id), Status: status, SubmittedAt: aws.Time(time.Now())}}, nil
}
