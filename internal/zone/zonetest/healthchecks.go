package zonetest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// healthChecks are the fake account's Route 53 health checks, with the CallerReferences Route 53 remembers.
type healthChecks struct {
	byID map[string]types.HealthCheck
	// refs maps every CallerReference used to its check's id and settings; a deleted check's stays ("Route 53 does
	// not store the CallerReference for a deleted health check indefinitely": for days, longer than any test).
	refs    map[string]usedRef
	seq     int
	ordered []string // ids in creation order, as ListHealthChecks pages them
}

type usedRef struct {
	id     string
	config types.HealthCheckConfig
}

func (h *healthChecks) init() {
	if h.byID == nil {
		h.byID, h.refs = map[string]types.HealthCheck{}, map[string]usedRef{}
	}
}

// HealthChecks returns the account's health checks by id.
func (f *Fake) HealthChecks() map[string]types.HealthCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]types.HealthCheck{}
	for id, hc := range f.checks.byID {
		out[id] = hc
	}
	return out
}

// CreateHealthCheck implements Route 53's CreateHealthCheck with its CallerReference rules (API Reference): "If you
// send a CreateHealthCheck request with the same CallerReference and settings as a previous request, and if the
// health check doesn't exist, Route 53 creates the health check. If the health check does exist, Route 53 returns
// the settings for the existing health check"; the same CallerReference as a deleted health check, or as an existing
// one with other settings, is HealthCheckAlreadyExists.
func (f *Fake) CreateHealthCheck(_ context.Context, in *route53.CreateHealthCheckInput, _ ...func(*route53.Options)) (*route53.CreateHealthCheckOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const op = "CreateHealthCheck"
	f.checks.init()
	if f.ThrottleHealthChecks > 0 {
		f.ThrottleHealthChecks--
		f.Rejected[op]++
		return nil, apiError("Throttling", "Rate exceeded")
	}
	ref := aws.ToString(in.CallerReference)
	if ref == "" || len(ref) > 64 || in.HealthCheckConfig == nil {
		f.Rejected[op]++
		return nil, &types.InvalidInput{Message: aws.String("CallerReference must be 1-64 characters and HealthCheckConfig is required")}
	}
	if used, ok := f.checks.refs[ref]; ok {
		hc, exists := f.checks.byID[used.id]
		if exists && reflect.DeepEqual(used.config, *in.HealthCheckConfig) {
			f.Accepted[op]++
			return &route53.CreateHealthCheckOutput{HealthCheck: &hc, Location: aws.String("/2013-04-01/healthcheck/" + used.id)}, nil
		}
		f.Rejected[op]++
		return nil, &types.HealthCheckAlreadyExists{Message: aws.String("A health check with CallerReference " + ref + " already exists or was deleted")}
	}
	f.checks.seq++
	id := fmt.Sprintf("hc-%04d", f.checks.seq)
	hc := types.HealthCheck{Id: aws.String(id), CallerReference: aws.String(ref), HealthCheckConfig: in.HealthCheckConfig, HealthCheckVersion: aws.Int64(1)}
	f.checks.byID[id] = hc
	f.checks.refs[ref] = usedRef{id: id, config: *in.HealthCheckConfig}
	f.checks.ordered = append(f.checks.ordered, id)
	f.Accepted[op]++
	f.Log = append(f.Log, "create-health-check "+id+" "+ref)
	return &route53.CreateHealthCheckOutput{HealthCheck: &hc, Location: aws.String("/2013-04-01/healthcheck/" + id)}, nil
}

// DeleteHealthCheck implements Route 53's DeleteHealthCheck, which "does not prevent you from deleting a health
// check even if the health check is associated with one or more resource record sets".
func (f *Fake) DeleteHealthCheck(_ context.Context, in *route53.DeleteHealthCheckInput, _ ...func(*route53.Options)) (*route53.DeleteHealthCheckOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const op = "DeleteHealthCheck"
	f.checks.init()
	id := aws.ToString(in.HealthCheckId)
	if _, ok := f.checks.byID[id]; !ok {
		f.Rejected[op]++
		return nil, &types.NoSuchHealthCheck{Message: aws.String("No health check exists with the specified ID " + id)}
	}
	delete(f.checks.byID, id)
	f.Accepted[op]++
	f.Log = append(f.Log, "delete-health-check "+id)
	return &route53.DeleteHealthCheckOutput{}, nil
}

// ListHealthChecks implements Route 53's ListHealthChecks: the account's checks, MaxItems a page (default 100),
// from Marker.
func (f *Fake) ListHealthChecks(_ context.Context, in *route53.ListHealthChecksInput, _ ...func(*route53.Options)) (*route53.ListHealthChecksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks.init()
	size := int(aws.ToInt32(in.MaxItems))
	if size <= 0 || size > 1000 {
		size = 100
	}
	var ids []string
	for _, id := range f.checks.ordered {
		if _, ok := f.checks.byID[id]; ok {
			ids = append(ids, id)
		}
	}
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		start = sort.SearchStrings(ids, m)
	}
	out := &route53.ListHealthChecksOutput{MaxItems: aws.Int32(int32(size)), Marker: in.Marker}
	for i := start; i < len(ids) && len(out.HealthChecks) < size; i++ {
		out.HealthChecks = append(out.HealthChecks, f.checks.byID[ids[i]])
		if len(out.HealthChecks) == size && i+1 < len(ids) {
			out.IsTruncated, out.NextMarker = true, aws.String(ids[i+1])
		}
	}
	f.Accepted["ListHealthChecks"]++
	return out, nil
}

// GetHealthCheckStatus implements Route 53's GetHealthCheckStatus: one observation per checker region, failing for
// the checks in Unhealthy.
func (f *Fake) GetHealthCheckStatus(_ context.Context, in *route53.GetHealthCheckStatusInput, _ ...func(*route53.Options)) (*route53.GetHealthCheckStatusOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks.init()
	id := aws.ToString(in.HealthCheckId)
	if _, ok := f.checks.byID[id]; !ok {
		f.Rejected["GetHealthCheckStatus"]++
		return nil, &types.NoSuchHealthCheck{Message: aws.String("No health check exists with the specified ID " + id)}
	}
	status := "Success: HTTP Status Code 200, OK"
	if f.Unhealthy[id] {
		status = "Failure: HTTP Status Code 503, Service Unavailable"
	}
	out := &route53.GetHealthCheckStatusOutput{}
	for i, region := range []types.HealthCheckRegion{types.HealthCheckRegionUsEast1, types.HealthCheckRegionEuWest1, types.HealthCheckRegionApSoutheast1} {
		out.HealthCheckObservations = append(out.HealthCheckObservations, types.HealthCheckObservation{
			Region: region, IPAddress: aws.String("192.0.2." + strconv.Itoa(i+1)), StatusReport: &types.StatusReport{Status: aws.String(status)}})
	}
	f.Accepted["GetHealthCheckStatus"]++
	return out, nil
}

// missingChecks lists the records a batch writes that name a health check the account does not have. The fake
// refuses them, which is at least as strict as Route 53 (its documentation does not say what it answers; a record
// naming a missing check would be answered with an unpredictable health), so a test shows that a check is created
// before any record refers to it.
func (f *Fake) missingChecks(changes []records.Change) []string {
	var p []string
	for _, c := range changes {
		if id := c.Record.HealthCheckID; id != "" && c.Action != records.Delete {
			if _, ok := f.checks.byID[id]; !ok {
				p = append(p, fmt.Sprintf("No health check exists with the specified ID %s (%s)", id, c.Record.Name))
			}
		}
	}
	return p
}
