package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Health says whether what records depend on is healthy.
type Health interface {
	// HealthCheck reports the status of the Route 53 health check with that id, as its checkers last saw it.
	HealthCheck(id string) bool
	// LoadBalancer reports whether the load balancer named dnsName is healthy as Route 53 judges the target of an
	// alias record that evaluates target health.
	LoadBalancer(ctx context.Context, dnsName string) (bool, error)
}

// maxHops bounds the aliases and CNAMEs followed for one answer: Route 53 refuses alias loops, moto does not.
const maxHops = 8

// loadBalancerPort is the listener asked for a load balancer's address: the local load balancers share one loopback
// address per load balancer, whichever the listener.
const loadBalancerPort = "80"

// Rules answer DNS queries from a snapshot of the zones as Route 53's name servers do (see the package comment for
// what is modelled, and from which document).
type Rules struct {
	Snapshot *Snapshot
	// Health is the health of health checks and load balancers; nil: everything healthy.
	Health Health
	// LoadBalancers say where the local load balancers are; nil: there are none.
	LoadBalancers lbaddr.Resolver
	// LoadBalancerTTL is the TTL of a load balancer's address (on AWS, 60 s).
	LoadBalancerTTL time.Duration
	Rand            Picker
}

// Result is the answer to one query.
type Result struct {
	Rcode         int
	Authoritative bool
	Answer        []dns.RR
	Authority     []dns.RR
	// LoadBalancer is the load balancer whose address the answer gives, if any: the health checkers connect to
	// its listener on the health check's port.
	LoadBalancer string
	// Err says why the answer is SERVFAIL.
	Err error
}

// Answer answers a query for name (any case, with or without the trailing dot) and type.
func (r Rules) Answer(ctx context.Context, qname string, qtype uint16) Result {
	res := r.answer(ctx, normalize(qname), qtype)
	for _, rr := range res.Answer { // the queried name as the client spelled it
		if h := rr.Header(); strings.EqualFold(h.Name, dns.Fqdn(qname)) {
			h.Name = dns.Fqdn(qname)
		}
	}
	return res
}

func (r Rules) answer(ctx context.Context, name string, qtype uint16) Result {
	z := r.Snapshot.zoneOf(name)
	if z == nil {
		return r.answerLoadBalancer(ctx, name, qtype)
	}
	res := Result{Authoritative: true}
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		seen[name] = true
		out, err := r.lookup(ctx, z, name, qtype, hop)
		if err != nil {
			return Result{Rcode: dns.RcodeServerFailure, Err: err}
		}
		res.Answer = append(res.Answer, out.rrs...)
		if out.lb != "" {
			res.LoadBalancer = out.lb
		}
		switch out.kind {
		case kindNXDomain:
			res.Rcode = dns.RcodeNameError
			res.Authority = []dns.RR{negativeSOA(z)}
			return res
		case kindNoData:
			res.Authority = []dns.RR{negativeSOA(z)}
			return res
		case kindCNAME:
			// RFC 1034 4.3.2 step 3a: copy the CNAME, and go on with its target when this server is authoritative
			// for it; otherwise the client asks again (a load balancer's name: this server answers it too).
			next := r.Snapshot.zoneOf(out.target)
			if next == nil || seen[out.target] || hop+1 >= maxHops {
				return res
			}
			z, name = next, out.target
			continue
		}
		return res
	}
}

// answerLoadBalancer answers for a name in no hosted zone: a load balancer's name, as AWS's public DNS answers for
// *.elb.amazonaws.com (its address, with LoadBalancerTTL), or REFUSED, as Route 53's name servers answer for a
// domain they do not host.
func (r Rules) answerLoadBalancer(ctx context.Context, name string, qtype uint16) Result {
	addr, ok, err := r.loadBalancerAddr(ctx, name)
	switch {
	case err != nil:
		return Result{Rcode: dns.RcodeServerFailure, Err: err}
	case !ok:
		return Result{Rcode: dns.RcodeRefused}
	}
	res := Result{Authoritative: true, LoadBalancer: name}
	if qtype == dns.TypeA || qtype == dns.TypeANY {
		res.Answer = []dns.RR{r.addressRR(name, addr)}
	}
	return res
}

type kind int

const (
	kindAnswer kind = iota
	kindNoData
	kindNXDomain
	kindCNAME
)

type lookupResult struct {
	kind   kind
	rrs    []dns.RR
	target string // of a CNAME
	lb     string
}

// lookup answers name and type from one zone, without following a CNAME.
func (r Rules) lookup(ctx context.Context, z *zoneIndex, name string, qtype uint16, depth int) (lookupResult, error) {
	if len(z.byName[name]) == 0 {
		if z.exists[name] { // an empty non-terminal: the name exists, with no records
			return lookupResult{kind: kindNoData}, nil
		}
		return lookupResult{kind: kindNXDomain}, nil
	}
	typ := dns.TypeToString[qtype]
	if group := z.sets(name, typ); len(group) > 0 {
		rrs, lb, err := r.answerGroup(ctx, z, name, group, depth)
		if err != nil || len(rrs) == 0 {
			return lookupResult{kind: kindNoData}, err
		}
		return lookupResult{kind: kindAnswer, rrs: rrs, lb: lb}, nil
	}
	if qtype != dns.TypeCNAME {
		if group := z.sets(name, records.TypeCNAME); len(group) > 0 {
			rrs, _, err := r.answerGroup(ctx, z, name, group, depth)
			if err != nil || len(rrs) == 0 {
				return lookupResult{kind: kindNoData}, err
			}
			cname, _ := rrs[0].(*dns.CNAME)
			if cname == nil {
				return lookupResult{kind: kindNoData}, nil
			}
			return lookupResult{kind: kindCNAME, rrs: rrs[:1], target: normalize(cname.Target)}, nil
		}
	}
	return lookupResult{kind: kindNoData}, nil
}

// answerGroup chooses the record of a group (one name and type) that answers, and returns its resource records
// under name.
func (r Rules) answerGroup(ctx context.Context, z *zoneIndex, name string, group []Record, depth int) ([]dns.RR, string, error) {
	rec, err := r.choose(ctx, group, depth)
	if err != nil {
		return nil, "", err
	}
	return r.values(ctx, name, rec, depth)
}

// choose returns the record of a group that answers one query. A weighted group: pickWeighted. A simple record is
// the group's only member (Route 53 refuses a second; moto does not, and the first answers).
func (r Rules) choose(ctx context.Context, group []Record, depth int) (Record, error) {
	if len(group) == 1 || group[0].Weight == nil {
		return group[0], nil
	}
	weights := make([]int64, len(group))
	healthy := make([]bool, len(group))
	for i, rec := range group {
		if rec.Weight != nil {
			weights[i] = *rec.Weight
		}
		ok, err := r.healthy(ctx, rec, depth)
		if err != nil {
			return Record{}, err
		}
		healthy[i] = ok
	}
	return group[pickWeighted(weights, healthy, r.Rand)], nil
}

// healthy reports whether a record is healthy ("How Amazon Route 53 chooses records when health checking is
// configured"): "If a record in a group of records that have the same name and type doesn't have an associated
// health check, Route 53 always considers it healthy"; a record with a health check is as healthy as the check; an
// alias record that evaluates target health is as healthy as its target (targetHealthy). An alias with both is
// healthy when both say so (the model's choice: AWS recommends against associating a health check with an alias).
func (r Rules) healthy(ctx context.Context, rec Record, depth int) (bool, error) {
	if rec.HealthCheckID != "" && r.Health != nil && !r.Health.HealthCheck(rec.HealthCheckID) {
		return false, nil
	}
	if rec.Alias != nil && rec.Alias.EvaluateTargetHealth {
		return r.targetHealthy(ctx, rec.Alias.DNSName, rec.Type, depth+1)
	}
	return true, nil
}

// targetHealthy reports whether an alias target is healthy (AliasTarget EvaluateTargetHealth, Route 53 API
// reference): a load balancer as Health judges it; "Other records in the same hosted zone": healthy when at least
// one record of the target's name and type is healthy — a target group whose records are all unhealthy makes the
// alias unhealthy, so that Route 53 can choose another record (the "all unhealthy: all healthy" rule applies to
// the group that answers, not to a target evaluated for health). A target with no records is unhealthy.
func (r Rules) targetHealthy(ctx context.Context, target, typ string, depth int) (bool, error) {
	if depth > maxHops {
		return false, nil
	}
	tz := r.Snapshot.zoneOf(target)
	if tz == nil {
		if r.Health == nil {
			return true, nil
		}
		ok, err := r.Health.LoadBalancer(ctx, target)
		if err != nil {
			return false, fmt.Errorf("health of alias target %s: %w", target, err)
		}
		return ok, nil
	}
	for _, rec := range tz.sets(target, typ) {
		ok, err := r.healthy(ctx, rec, depth)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// values returns a record's resource records under name. A non-alias record: its values, with its own TTL. An
// alias: its target's answer under the alias's name, with the target's TTL ("Values for alias records": an alias
// record has no TTL of its own; Route 53 answers with the target's) — a record set in a hosted zone served here,
// chosen by the target's own routing (Route 53 accepts only targets in the alias's own zone; moto does not check,
// and any zone served here is followed), or a load balancer's address with LoadBalancerTTL (Route 53 gives 60 s for
// an ELB). An alias whose target does not exist answers nothing: NOERROR with no data.
func (r Rules) values(ctx context.Context, name string, rec Record, depth int) ([]dns.RR, string, error) {
	if rec.Alias == nil {
		var rrs []dns.RR
		for _, v := range rec.Values {
			rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", dns.Fqdn(name), rec.TTL, rec.Type, v))
			if err != nil || rr == nil {
				continue // a value Route 53 would have refused
			}
			rrs = append(rrs, rr)
		}
		return rrs, "", nil
	}
	target := rec.Alias.DNSName
	if depth >= maxHops {
		return nil, "", nil
	}
	if tz := r.Snapshot.zoneOf(target); tz != nil {
		group := tz.sets(target, rec.Type)
		if len(group) == 0 {
			return nil, "", nil
		}
		rrs, lb, err := r.answerGroup(ctx, tz, target, group, depth+1)
		for _, rr := range rrs {
			rr.Header().Name = dns.Fqdn(name)
		}
		return rrs, lb, err
	}
	if rec.Type != records.TypeA {
		return nil, "", nil // the local load balancers have IPv4 addresses only
	}
	addr, ok, err := r.loadBalancerAddr(ctx, target)
	if err != nil || !ok {
		return nil, "", err
	}
	return []dns.RR{r.addressRR(name, addr)}, target, nil
}

// loadBalancerAddr returns the address of the load balancer named name; ok is false when there is none.
func (r Rules) loadBalancerAddr(ctx context.Context, name string) (netip.Addr, bool, error) {
	if r.LoadBalancers == nil {
		return netip.Addr{}, false, nil
	}
	ap, err := r.LoadBalancers(ctx, name, loadBalancerPort)
	var nf *lbaddr.NotFoundError
	switch {
	case errors.As(err, &nf):
		return netip.Addr{}, false, nil
	case err != nil:
		return netip.Addr{}, false, fmt.Errorf("address of load balancer %s: %w", name, err)
	}
	return ap.Addr(), true, nil
}

// addressRR is a load balancer's address under name.
func (r Rules) addressRR(name string, addr netip.Addr) dns.RR {
	return &dns.A{
		Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: seconds(r.LoadBalancerTTL)},
		A:   addr.Unmap().AsSlice(),
	}
}

// seconds is a TTL in whole seconds.
func seconds(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	return uint32(d / time.Second)
}
