package dataplane

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Route53API is what the data plane reads from moto's Route 53, directly (not through the gateway: neither the
// Route 53 model's limits nor the request log see the data plane): zones, record sets and health checks.
type Route53API interface {
	route53.ListHostedZonesAPIClient
	route53.ListHealthChecksAPIClient
	ListResourceRecordSets(ctx context.Context, in *route53.ListResourceRecordSetsInput, opts ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error)
}

var _ Route53API = (*route53.Client)(nil)

// motoSource reads every public hosted zone and its record sets from moto. Private zones are left out: Route 53's
// public name servers do not answer for them.
type motoSource struct {
	api Route53API
}

func (s motoSource) Snapshot(ctx context.Context) (*Snapshot, error) {
	var zones []Zone
	pages := route53.NewListHostedZonesPaginator(s.api, &route53.ListHostedZonesInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the hosted zones: %w", err)
		}
		for _, hz := range out.HostedZones {
			if hz.Config != nil && hz.Config.PrivateZone {
				continue
			}
			z := Zone{ID: aws.ToString(hz.Id), Name: normalize(zone.Unescape(aws.ToString(hz.Name)))}
			if z.Records, err = s.records(ctx, z.ID); err != nil {
				return nil, fmt.Errorf("hosted zone %s (%s): %w", z.Name, z.ID, err)
			}
			zones = append(zones, z)
		}
	}
	return NewSnapshot(zones...), nil
}

// records lists a zone's record sets, page by page.
func (s motoSource) records(ctx context.Context, zoneID string) ([]Record, error) {
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)}
	var out []Record
	for {
		page, err := s.api.ListResourceRecordSets(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list the record sets: %w", err)
		}
		for _, rs := range page.ResourceRecordSets {
			out = append(out, fromSDK(rs))
		}
		if !page.IsTruncated || page.NextRecordName == nil {
			return out, nil
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = page.NextRecordName, page.NextRecordType, page.NextRecordIdentifier
	}
}

// fromSDK converts a record set: the record model's conversion, and its health check.
func fromSDK(rs types.ResourceRecordSet) Record {
	r := Record{Record: zone.FromSDK(rs), HealthCheckID: aws.ToString(rs.HealthCheckId)}
	for i, v := range r.Values {
		r.Values[i] = unwrapMotoValue(v)
	}
	return r
}

// motoWrapped is how moto 5.2.1 lists the value of the SOA record it creates with a zone: the Python repr of the
// resource record, {'Value': '...'}, instead of the value (its CreateHostedZone stores the dict where it stores
// strings for every other record).
var motoWrapped = regexp.MustCompile(`^\{'Value': '(.*)'\}$`)

// unwrapMotoValue returns the value inside moto's wrapping, or v.
func unwrapMotoValue(v string) string {
	if m := motoWrapped.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return v
}

// cachedSource serves a Source's snapshot for up to ttl: a load of queries reads moto at most once per ttl. Reads
// are made one at a time; the queries that arrive meanwhile wait for that read.
type cachedSource struct {
	src Source
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	at   time.Time
	snap *Snapshot
}

func (c *cachedSource) Snapshot(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && c.now().Sub(c.at) < c.ttl {
		return c.snap, nil
	}
	snap, err := c.src.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	c.snap, c.at = snap, c.now()
	return snap, nil
}

// peek returns the snapshot last read, without reading (nil: none).
func (c *cachedSource) peek() *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// flush makes the next query read the zones afresh.
func (c *cachedSource) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap = nil
}
