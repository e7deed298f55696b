package r53model

import "time"

// Bucket is a token bucket: Burst tokens at most (the bucket starts full), refilled at Rate tokens a second.
type Bucket struct {
	Burst float64 `json:"burst"`
	Rate  float64 `json:"rate"`
}

// Unlimited reports whether the bucket is the zero Bucket, which stands for no bucket at all.
func (b Bucket) Unlimited() bool { return b == Bucket{} }

// The documented request-rate buckets.
var (
	// DocumentedAccount is the account-level bucket: every Route 53 API request draws from it.
	DocumentedAccount = Bucket{Burst: 50, Rate: 10}
	// DocumentedOperation is the bucket of every operation not in DocumentedOperations.
	DocumentedOperation = Bucket{Burst: 50, Rate: 10}
)

// DocumentedOperations returns the operations whose buckets differ from DocumentedOperation, as the throttling
// page lists them, from AssociateVPCWithHostedZone to GetHealthCheckStatus; the page's later rows (Update…
// operations) are not modelled yet, and take the default. The deployer calls none of them: its ListResourceRecordSets, ChangeResourceRecordSets, GetChange and GetHostedZone each have the default.
func DocumentedOperations() map[string]Bucket {
	return map[string]Bucket{
		"AssociateVPCWithHostedZone":      {20, 5},
		"ChangeCidrCollection":            {40, 5},
		"CreateCidrCollection":            {40, 5},
		"CreateHealthCheck":               {50, 0.5},
		"CreateHostedZone":                {40, 2},
		"CreateReusableDelegationSet":     {40, 2},
		"CreateTrafficPolicyInstance":     {1, 1},
		"DeleteCidrCollection":            {40, 5},
		"DeleteHealthCheck":               {15, 3},
		"DeleteHostedZone":                {40, 5},
		"DeleteReusableDelegationSet":     {40, 5},
		"DeleteTrafficPolicyInstance":     {1, 1},
		"DisassociateVPCFromHostedZone":   {10, 5},
		"GetHealthCheckLastFailureReason": {4, 1},
		"GetHealthCheckStatus":            {4, 1},
	}
}

// AssumedChanges is the change-throughput bucket the model assumes, since AWS does not publish its figures: a
// burst of 1,000 changes (the most ResourceRecord elements one ChangeResourceRecordSets may hold) refilled at 100
// changes a second. Tests and the bench set their own where it matters.
var AssumedChanges = Bucket{Burst: 1000, Rate: 100}

// bucket is a Bucket's state: its tokens at a time.
type bucket struct {
	Bucket
	tokens float64
	at     time.Time
}

func newBucket(spec Bucket, now time.Time) *bucket {
	return &bucket{Bucket: spec, tokens: spec.Burst, at: now}
}

// epsilon absorbs the rounding of refills: ten refills of 0.1 s at 10 a second make one token.
const epsilon = 1e-9

// has refills the bucket up to now and reports whether it holds n tokens; an unlimited bucket always does.
func (b *bucket) has(n float64, now time.Time) bool {
	if b.Unlimited() {
		return true
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = min(b.Burst, b.tokens+elapsed*b.Rate)
		b.at = now
	}
	return b.tokens+epsilon >= n
}

// take removes n tokens (after has); the bucket may go into debt.
func (b *bucket) take(n float64) {
	if !b.Unlimited() {
		b.tokens -= n
	}
}
