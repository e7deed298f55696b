package zone

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Listing is what a read of an app's records found: the records, in the record model, and each record set exactly
// as Route 53 listed it (its name's spelling, its values' case, every routing field), so that a DELETE built from
// it matches what is stored.
type Listing struct {
	Records []records.Record
	raw     map[records.Key]types.ResourceRecordSet
}

// Raw returns the record set as Route 53 listed it, for a record of the listing.
func (l *Listing) Raw(k records.Key) (types.ResourceRecordSet, bool) {
	rs, ok := l.raw[k]
	return rs, ok
}

func (l *Listing) add(rs types.ResourceRecordSet) {
	r := FromSDK(rs)
	if l.raw == nil {
		l.raw = map[records.Key]types.ResourceRecordSet{}
	}
	if _, dup := l.raw[r.Key()]; dup {
		return // a page boundary read twice
	}
	l.raw[r.Key()] = rs
	l.Records = append(l.Records, r)
}

// ListApp reads the app's records and nothing else, so that a release costs the same in a zone of ten records or
// ten thousand. Route 53 lists names "first by DNS name with the labels reversed, for example: com.example.www."
// (ListResourceRecordSets; note the trailing dot), compared as strings, so every name that starts with "<app>-" or
// ends in "<app>.<zone>" — the per-stack endpoints <app>-<id>.<zone> (com.example.<app>-<id>.), then the host
// <app>.<zone> (com.example.<app>.), then the TXT records stack.*.<app>.<zone> (com.example.<app>.stack.*.) — lies
// in one contiguous range: it is listed from StartRecordName <app>-000000.<zone>, the smallest endpoint name, until
// the first name past it (com.example.<app>x., say). Other names inside the range (<app>-legacy, a.<app>) come
// along and are ignored by the state reader. A host outside that range (a custom host, the zone apex) is read by
// one more listing that starts at it and stops at the first other name.
func (z *Zone) ListApp(ctx context.Context, app records.App) (*Listing, error) {
	l := &Listing{}
	start := app.EndpointName(strings.Repeat("0", records.StackIDLen))
	limit := strings.TrimSuffix(reversed(app.Name+"."+z.info.Name), ".") + "/" // '/' sorts right after '.', and '-' before it
	if err := z.listFrom(ctx, start, l, func(name string) bool { return reversed(name) < limit }); err != nil {
		return nil, err
	}
	if host := app.HostName(); !(reversed(host) >= reversed(start) && reversed(host) < limit) {
		if err := z.listFrom(ctx, host, l, func(name string) bool { return name == host }); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// listFrom lists from start while more says a name belongs, page by page.
func (z *Zone) listFrom(ctx context.Context, start string, l *Listing, more func(name string) bool) error {
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(z.info.ID), StartRecordName: aws.String(start)}
	for {
		page, err := z.api.ListResourceRecordSets(ctx, in)
		if err != nil {
			return fmt.Errorf("list records of zone %s from %s: %w", z.info.Name, start, err)
		}
		for _, rs := range page.ResourceRecordSets {
			if !more(normalizeName(aws.ToString(rs.Name))) {
				return nil
			}
			l.add(rs)
		}
		if !page.IsTruncated {
			return nil
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = page.NextRecordName, page.NextRecordType, page.NextRecordIdentifier
	}
}

// reversed is a name's labels in reverse order, joined by dots, with the trailing dot: the key Route 53 sorts
// names by.
func reversed(name string) string {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(name), "."), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".") + "."
}

// MarshalJSON encodes the listing as the record sets Route 53 listed (or a batch wrote), so that a state document
// can carry it from one operation to the next.
func (l *Listing) MarshalJSON() ([]byte, error) {
	sets := make([]types.ResourceRecordSet, 0, len(l.Records))
	for _, r := range l.Records {
		sets = append(sets, l.raw[r.Key()])
	}
	return json.Marshal(sets)
}

// UnmarshalJSON decodes what MarshalJSON encoded.
func (l *Listing) UnmarshalJSON(data []byte) error {
	var sets []types.ResourceRecordSet
	if err := json.Unmarshal(data, &sets); err != nil {
		return fmt.Errorf("carried records: %w", err)
	}
	*l = Listing{}
	for _, rs := range sets {
		l.add(rs)
	}
	return nil
}
