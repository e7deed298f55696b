package zone

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Fence is the fence a batch swaps: it deletes Expect exactly (nil: the app has no fence yet, and the batch creates
// one, which Route 53 refuses if one exists) and creates Next. Take sends the swap even when the batch changes
// nothing else (a takeover claims the fence at once).
type Fence struct {
	Expect *records.Record
	Next   records.Record
	Take   bool
}

// RejectedError says Route 53 refused a fenced batch, and what a read right after found: the fence as it is now
// (Now; nil when there is none) and the app's records. The caller decides: another writer holds the fence, or the
// records changed under it.
type RejectedError struct {
	Zone    string
	Comment string
	Now     *Listing
	Fence   *records.Record
	Err     error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("zone %s: %s: Route 53 refused the batch: %v", e.Zone, e.Comment, e.Err)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// Swap applies the part of b that the listing does not already reflect as a compare-and-swap: every record it
// changes or deletes is deleted exactly as listed (DELETE + CREATE, never UPSERT; Route 53 counts an UPSERT as two
// changes anyway), every record it depends on (b.Depends) is deleted and re-created as it is, and the fence is
// swapped in the same batch. Route 53 applies a batch all or nothing and refuses it
// when a DELETE does not match what is stored, so an accepted batch leaves exactly what it names: nothing is read
// back. The batch is checked against Route 53's rules before it is sent. A refused batch is a RejectedError, after
// one read of the app's records, unless that read shows the batch applied (its answer was lost and the SDK's retry
// refused): then it is a success without a change id. The returned listing is the app's records as the batch left
// them.
func (z *Zone) Swap(ctx context.Context, app records.App, l *Listing, b records.Batch, f Fence) (Result, *Listing, error) {
	res := Result{InSync: true}
	todo := records.Unapplied(l.Records, b)
	fenced := records.Batch{Comment: b.Comment, Changes: todo.Changes}
	changed := map[records.Key]bool{}
	for _, c := range todo.Changes {
		changed[c.Record.Key()] = true
	}
	for _, d := range b.Depends {
		if !changed[d.Key()] && !todo.Empty() {
			fenced.Changes = append(fenced.Changes, records.Change{Action: records.Delete, Record: d.Clone()}, records.Change{Action: records.Create, Record: d.Clone()})
		}
	}
	if f.Expect != nil {
		fenced.Changes = append(fenced.Changes, records.Change{Action: records.Delete, Record: f.Expect.Clone()})
	}
	fenced.Changes = append(fenced.Changes, records.Change{Action: records.Create, Record: f.Next})
	if todo.Empty() && (!f.Take || (f.Expect != nil && f.Expect.Equal(f.Next))) {
		return res, l, nil // the records already are as the batch leaves them: nothing to send, nor to fence
	}
	// The writer's view: the listed records, with the fence as the writer expects it.
	var current []records.Record
	for _, r := range l.Records {
		if r.Key() != f.Next.Key() {
			current = append(current, r)
		}
	}
	if f.Expect != nil {
		current = append(current, *f.Expect)
	}
	sent := upsertsAsPairs(current, fenced)
	after, err := records.Apply(z.info, current, sent)
	if err != nil {
		return Result{}, nil, fmt.Errorf("zone %s: %s: %w", z.info.Name, b.Comment, err)
	}
	out, err := z.api.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(z.info.ID),
		ChangeBatch:  l.toSDK(sent),
	})
	var invalid *types.InvalidChangeBatch
	if errors.As(err, &invalid) {
		now, lerr := z.ListApp(ctx, app)
		if lerr != nil {
			return Result{}, nil, fmt.Errorf("zone %s: %s: refused (%v), and the read after it failed: %w", z.info.Name, b.Comment, err, lerr)
		}
		st := records.Read(app, now.Records, records.Facts{})
		if st.Fence != nil && st.Fence.Equal(f.Next) && records.Unapplied(now.Records, todo).Empty() {
			res.Submitted = true // applied: the answer was lost, the SDK's retry refused; no change id to wait on
			return res, now, nil
		}
		return Result{}, nil, &RejectedError{Zone: z.info.Name, Comment: b.Comment, Now: now, Fence: st.Fence, Err: err}
	}
	if err != nil {
		return Result{}, nil, fmt.Errorf("zone %s: %s: %w", z.info.Name, b.Comment, err)
	}
	res.Submitted, res.ChangeID = true, changeID(aws.ToString(out.ChangeInfo.Id))
	res.InSync = out.ChangeInfo.Status == types.ChangeStatusInsync
	if !res.InSync {
		if res.InSync, err = z.wait(ctx, res.ChangeID); err != nil {
			return Result{}, nil, err
		}
	}
	next := &Listing{}
	for _, r := range after {
		next.addRecord(l, r)
	}
	return res, next, nil
}

// upsertsAsPairs writes the batch as it is sent, for checking: an UPSERT of a listed record as its DELETE and
// CREATE, of an unlisted one as a CREATE; a DELETE of an unlisted record is dropped (already gone).
func upsertsAsPairs(current []records.Record, b records.Batch) records.Batch {
	have := map[records.Key]records.Record{}
	for _, r := range current {
		have[r.Key()] = r
	}
	out := records.Batch{Comment: b.Comment}
	for _, c := range b.Changes {
		old, listed := have[c.Record.Key()]
		switch {
		case c.Action == records.Upsert && listed:
			out.Changes = append(out.Changes, records.Change{Action: records.Delete, Record: old}, records.Change{Action: records.Create, Record: c.Record})
		case c.Action == records.Upsert:
			out.Changes = append(out.Changes, records.Change{Action: records.Create, Record: c.Record})
		case c.Action == records.Delete && !listed:
		case c.Action == records.Delete:
			out.Changes = append(out.Changes, records.Change{Action: records.Delete, Record: old})
		default:
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}

// toSDK is the batch as Route 53 gets it: a DELETE of a record as listed sends the record set exactly as Route 53
// listed it (the case of its values, every routing field), anything else as the record model writes it.
func (l *Listing) toSDK(b records.Batch) *types.ChangeBatch {
	cb := &types.ChangeBatch{Comment: aws.String(b.Comment)}
	for _, c := range b.Changes {
		rs := ToSDK(c.Record)
		if raw, ok := l.Raw(c.Record.Key()); ok && c.Action == records.Delete && FromSDK(raw).Equal(c.Record) {
			rs = &raw
		}
		cb.Changes = append(cb.Changes, types.Change{Action: types.ChangeAction(c.Action), ResourceRecordSet: rs})
	}
	return cb
}

// addRecord adds a record the batch left: as listed when the batch did not touch it.
func (l *Listing) addRecord(before *Listing, r records.Record) {
	if rs, ok := before.Raw(r.Key()); ok && FromSDK(rs).Equal(r) {
		l.add(rs)
		return
	}
	l.add(*ToSDK(r))
}
