// Package dataplane is the local AWS's Route 53 data plane: a DNS server on 127.0.0.1 (UDP and TCP on one port)
// that answers for moto's public hosted zones as Route 53's name servers answer, so that a client's requests go where
// the deployer's records send them, and the split between blue and green can be measured.
//
// The rules are pure functions over a Snapshot of the zones (Rules.Answer), with the health of health checks and
// load balancers behind the Health interface and the local load balancers' addresses behind an lbaddr.Resolver, so
// that each rule is tested on its own. The Server reads the zones from moto itself (moto's URL, not the gateway's:
// neither the Route 53 model's limits nor the gateway's request log see the data plane) at most once per
// Options.RecordCache, reads the load balancers' target health from ELB through the gateway signed with AccessKey
// (so that the gateway's SetTargetHealth overrides apply, without being logged, metered or used up), and runs the
// health checkers.
//
// What is modelled, and from which AWS document (Amazon Route 53 Developer Guide unless named otherwise):
//
//   - "Weighted routing": one record of a weighted group per answer, chosen at random in proportion to the weights
//     (pickWeighted), with Options.Seed's random source;
//   - "How Amazon Route 53 chooses records when health checking is configured": a record without a health check is
//     always healthy; weight-0 records are considered only when every record of weight above 0 is unhealthy; when
//     no record is healthy, all are treated as healthy (pickWeighted, Rules.healthy);
//   - aliases ("Choosing between alias and non-alias records", "Values for alias records"): an alias to a record in
//     a zone served here is answered with that record's answer under the alias's name and with the target's TTL; an
//     alias to a load balancer (a name in no hosted zone) with its address, from the lbaddr.Resolver the owner of
//     the local load balancers sets (port 80), and LoadBalancerTTL (60 s on AWS); an alias whose target does not
//     exist answers NOERROR with no data (Route 53 refuses to create one; moto does not);
//   - EvaluateTargetHealth (AliasTarget, Route 53 API reference): off, an alias is always healthy; on, it is as
//     healthy as its target: an Application or Network Load Balancer when "every target group that contains
//     targets" has "at least one healthy target", none when no target group has targets (loadBalancerHealth); a
//     record or group of records in the zone when one of them is healthy (Rules.targetHealthy);
//   - health checks ("How Amazon Route 53 determines whether a health check is healthy", HealthCheckConfig): HTTP,
//     HTTPS (certificates not validated), HTTP_STR_MATCH, HTTPS_STR_MATCH and TCP checks probed every
//     Options.HealthCheckInterval (RequestInterval on AWS) at IPAddress, or FullyQualifiedDomainName resolved by
//     this server (to a local load balancer's listener on the check's Port when the name leads to one); 2xx and
//     3xx pass; FailureThreshold consecutive results change the status; new checks start healthy; Disabled and
//     Inverted (prober);
//   - "NS and SOA records that Amazon Route 53 creates for a public hosted zone": the SOA and NS records at the apex
//     as moto stores them (Route 53's defaults); negative answers carry the SOA with the lesser of its TTL and its
//     minimum (900 s) as their TTL;
//   - an authoritative server's answers (RFC 1034 4.3.2, RFC 2308, RFC 6604): the AA bit; NXDOMAIN for a name that
//     does not exist, NODATA (NOERROR, no answer) for a name without records of the type, an empty non-terminal
//     included, each with the SOA in the authority section; a CNAME answered and chased while its target is in a
//     zone served here (a CNAME to a load balancer is left for the client to follow: this server answers load
//     balancers' names too, with LoadBalancerTTL, as AWS's public DNS answers for *.elb.amazonaws.com); REFUSED for
//     a name in no hosted zone that is no load balancer; names compared in any case, answered in the query's;
//     TXT and every other type from their zone-file text; UDP answers truncated (TC) past 512 bytes or the EDNS0
//     size.
//
// What is not: propagation to the name servers (the data plane serves what moto holds, after its short cache;
// GetChange's INSYNC is the Route 53 model's business); resolvers and clients that ignore TTLs; EDNS client subnet;
// latency, geolocation, geoproximity, failover, multivalue and IP-based routing (records with those policies are
// served as simple records); wildcard records; delegations to other name servers; DNSSEC; CALCULATED,
// CLOUDWATCH_METRIC and RECOVERY_CONTROL health checks (always healthy); health checker regions (one local
// checker stands for them: AWS calls an endpoint healthy when more than 18 % of its checkers do); private hosted
// zones (not served, as Route 53's public name servers do not serve them).
package dataplane
