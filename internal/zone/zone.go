// Package zone applies the deployer's change batches to a Route 53 hosted zone: it reads an app's records and
// nothing else (ListApp), checks every batch against Route 53's rules before sending it, sends only what is not
// applied yet as a fenced compare-and-swap (Swap), and waits for INSYNC within the caller's deadline. Apply, which
// lists the whole zone, UPSERTs and reads back, is for tools and tests that arrange records by hand; the deployer's
// functions never call it.
package zone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// route53API lists the Route 53 calls this package makes.
type route53API interface {
	route53.ListResourceRecordSetsAPIClient
	route53.GetChangeAPIClient
	GetHostedZone(ctx context.Context, params *route53.GetHostedZoneInput, optFns ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error)
	ChangeResourceRecordSets(ctx context.Context, params *route53.ChangeResourceRecordSetsInput, optFns ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error)
}

var _ route53API = (*route53.Client)(nil)

// Options tune the INSYNC wait.
type Options struct {
	// MinDelay and MaxDelay space the waiter's GetChange calls (defaults 2 s and 10 s).
	MinDelay, MaxDelay time.Duration
	// Margin is left before the caller's deadline so the Lambda can still answer (default 3 s).
	Margin time.Duration
}

func (opts Options) withDefaults() Options {
	if opts.MinDelay <= 0 {
		opts.MinDelay = 2 * time.Second
	}
	if opts.MaxDelay < opts.MinDelay {
		opts.MaxDelay = max(10*time.Second, opts.MinDelay)
	}
	if opts.Margin <= 0 {
		opts.Margin = 3 * time.Second
	}
	return opts
}

// Zone is one hosted zone.
type Zone struct {
	api     route53API
	info    records.Zone
	opts    Options
	private bool
}

// Open looks the hosted zone up and returns it. The id may carry the "/hostedzone/" prefix.
func Open(ctx context.Context, api route53API, id string, opts Options) (*Zone, error) {
	out, err := api.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID(id))})
	if err != nil {
		return nil, fmt.Errorf("get hosted zone %s: %w", id, err)
	}
	opts = opts.withDefaults()
	info := records.Zone{ID: zoneID(aws.ToString(out.HostedZone.Id)), Name: normalizeName(aws.ToString(out.HostedZone.Name))}
	private := out.HostedZone.Config != nil && out.HostedZone.Config.PrivateZone
	return &Zone{api: api, info: info, opts: opts, private: private}, nil
}

// Private reports whether the zone is a private hosted zone, as GetHostedZone said (false for a zone Known by id
// and name, never looked up).
func (z *Zone) Private() bool { return z.private }

// Info returns the zone's id and name.
func (z *Zone) Info() records.Zone { return z.info }

// List returns every record set in the zone.
func (z *Zone) List(ctx context.Context) ([]records.Record, error) {
	var rs []records.Record
	p := route53.NewListResourceRecordSetsPaginator(z.api, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(z.info.ID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list records of zone %s: %w", z.info.Name, err)
		}
		for _, s := range page.ResourceRecordSets {
			rs = append(rs, FromSDK(s))
		}
	}
	return rs, nil
}

// Result is what Apply did.
type Result struct {
	// Submitted is false when the records were already as the batch leaves them: nothing was sent.
	Submitted bool
	// ChangeID is Route 53's change id, when something was sent.
	ChangeID string
	// InSync is true once Route 53 has applied the change everywhere and the records read back as expected. When
	// false, the caller's deadline came first: check ChangeID later with Check.
	InSync bool
	// Expect and Removed are what the batch leaves, which Apply reads back (Swap does not: see there).
	Expect  []records.Record
	Removed []records.Key
}

// ErrReadBack says the records did not read back as a batch left them: someone else changed them.
var ErrReadBack = errors.New("records did not read back as written")

// Apply (for tools and tests that arrange records by hand, not the deployer: see Swap) sends the part of b that is
// not applied yet, after checking it against Route 53's rules, then waits for
// INSYNC until shortly before ctx's deadline and reads the records back. One call sends at most one
// ChangeResourceRecordSets.
func (z *Zone) Apply(ctx context.Context, b records.Batch) (Result, error) {
	current, err := z.List(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{InSync: true}
	res.Expect, res.Removed = outcome(b)
	todo := records.Unapplied(current, b)
	if todo.Empty() {
		return res, nil
	}
	if _, err := records.Apply(z.info, current, todo); err != nil {
		return Result{}, fmt.Errorf("zone %s: %s: %w", z.info.Name, b.Comment, err)
	}
	out, err := z.api.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(z.info.ID),
		ChangeBatch:  changesToSDK(todo),
	})
	var invalid *types.InvalidChangeBatch
	if errors.As(err, &invalid) {
		// The SDK retries a call whose answer was lost; the retry of a batch the first attempt applied is refused
		// (its DELETE finds nothing). When the records are now as the batch leaves them, it was applied: its
		// propagation proceeds, but there is no change id to wait on.
		if now, lerr := z.List(ctx); lerr == nil && records.Unapplied(now, todo).Empty() {
			res.Submitted = true // the listing is the read-back: nothing of the batch is left to apply
			return res, nil
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("zone %s: %s: %w", z.info.Name, b.Comment, err)
	}
	res.Submitted, res.ChangeID = true, changeID(aws.ToString(out.ChangeInfo.Id))
	res.InSync = out.ChangeInfo.Status == types.ChangeStatusInsync
	if !res.InSync {
		if res.InSync, err = z.wait(ctx, res.ChangeID); err != nil {
			return Result{}, err
		}
	}
	if res.InSync {
		if err := z.ReadBack(ctx, res.Expect, res.Removed); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// Check asks once whether a change is INSYNC. A fenced batch (Swap) needs no read-back: accepted, it left exactly
// what it named.
func (z *Zone) Check(ctx context.Context, id string) (bool, error) {
	out, err := z.api.GetChange(ctx, &route53.GetChangeInput{Id: aws.String(changeID(id))})
	if err != nil {
		return false, fmt.Errorf("get change %s: %w", id, err)
	}
	return out.ChangeInfo.Status == types.ChangeStatusInsync, nil
}

// wait waits for INSYNC until Margin before ctx's deadline; false means the time was up first (the change was
// accepted and is pending, not failed: the state machine waits on its id). Route 53 answers PENDING for a change
// it has just accepted, so the first GetChange is sent after MinDelay, not at once: with propagation shorter than
// MinDelay a change costs one GetChange. The delay then doubles up to MaxDelay. A GetChange that fails transiently
// (throttled past the SDK's retries) leaves the change pending rather than failing an applied change.
func (z *Zone) wait(ctx context.Context, id string) (bool, error) {
	until := time.Now().Add(30 * time.Second)
	if dl, ok := ctx.Deadline(); ok {
		until = dl.Add(-z.opts.Margin)
	}
	for delay := z.opts.MinDelay; time.Now().Add(delay).Before(until); delay = min(2*delay, z.opts.MaxDelay) {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, nil
		case <-t.C:
		}
		insync, err := z.Check(ctx, id)
		switch {
		case err != nil && (ctx.Err() != nil || awsenv.Transient(err)):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("wait for change %s: %w", id, err)
		case insync:
			return true, nil
		}
	}
	return false, nil
}

// ReadBack checks that every record in expect is in the zone exactly so and that removed ones are gone.
func (z *Zone) ReadBack(ctx context.Context, expect []records.Record, removed []records.Key) error {
	current, err := z.List(ctx)
	if err != nil {
		return err
	}
	have := make(map[records.Key]records.Record, len(current))
	for _, r := range current {
		have[r.Key()] = r
	}
	var diffs []string
	for _, want := range expect {
		got, ok := have[want.Key()]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s is missing", want.Key()))
		case !got.Equal(want):
			diffs = append(diffs, fmt.Sprintf("%s is %s, want %s", want.Key(), got, want))
		}
	}
	for _, k := range removed {
		if _, ok := have[k]; ok {
			diffs = append(diffs, fmt.Sprintf("%s still exists", k))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("zone %s: %w: %s", z.info.Name, ErrReadBack, strings.Join(diffs, "; "))
	}
	return nil
}

// outcome lists the records a batch leaves and the keys it removes.
func outcome(b records.Batch) ([]records.Record, []records.Key) {
	final := map[records.Key]records.Change{}
	var order []records.Key
	for _, c := range b.Changes {
		if _, ok := final[c.Record.Key()]; !ok {
			order = append(order, c.Record.Key())
		}
		final[c.Record.Key()] = c
	}
	var expect []records.Record
	var removed []records.Key
	for _, k := range order {
		if c := final[k]; c.Action == records.Delete {
			removed = append(removed, k)
		} else {
			expect = append(expect, c.Record)
		}
	}
	return expect, removed
}

// Opener opens hosted zones with one Route 53 client.
type Opener struct {
	api  route53API
	opts Options
}

// NewOpener returns an Opener.
func NewOpener(api route53API, opts Options) *Opener { return &Opener{api: api, opts: opts} }

// Open opens the hosted zone with the given id.
func (o *Opener) Open(ctx context.Context, id string) (*Zone, error) {
	return Open(ctx, o.api, id, o.opts)
}

// Known is the hosted zone of an id and a name already looked up (by an execution's Prepare): no call.
func (o *Opener) Known(id, name string) *Zone {
	return &Zone{api: o.api, info: records.Zone{ID: zoneID(id), Name: normalizeName(name)}, opts: o.opts.withDefaults()}
}
