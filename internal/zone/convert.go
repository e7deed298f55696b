package zone

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// FromSDK converts a Route 53 record set to the record model: names normalized (Route 53 escapes some characters
// as \NNN octal and ends names with a dot).
func FromSDK(rs types.ResourceRecordSet) records.Record {
	r := records.Record{
		Name:          normalizeName(aws.ToString(rs.Name)),
		Type:          string(rs.Type),
		TTL:           aws.ToInt64(rs.TTL),
		SetIdentifier: aws.ToString(rs.SetIdentifier),
		HealthCheckID: aws.ToString(rs.HealthCheckId),
	}
	if rs.Weight != nil {
		r.Weight = records.Weight(*rs.Weight)
	}
	for _, v := range rs.ResourceRecords {
		val := aws.ToString(v.Value)
		if rs.Type == types.RRTypeCname {
			val = normalizeName(val)
		}
		r.Values = append(r.Values, val)
	}
	if a := rs.AliasTarget; a != nil {
		r.Alias = &records.Alias{
			HostedZoneID:         aws.ToString(a.HostedZoneId),
			DNSName:              normalizeName(aws.ToString(a.DNSName)),
			EvaluateTargetHealth: a.EvaluateTargetHealth,
		}
	}
	return r
}

// ToSDK converts a record to a Route 53 record set.
func ToSDK(r records.Record) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{
		Name: aws.String(r.Name),
		Type: types.RRType(r.Type),
	}
	if r.SetIdentifier != "" {
		rs.SetIdentifier = aws.String(r.SetIdentifier)
	}
	if r.Weight != nil {
		rs.Weight = aws.Int64(*r.Weight)
	}
	if r.HealthCheckID != "" {
		rs.HealthCheckId = aws.String(r.HealthCheckID)
	}
	if r.Alias != nil {
		rs.AliasTarget = &types.AliasTarget{
			HostedZoneId:         aws.String(r.Alias.HostedZoneID),
			DNSName:              aws.String(r.Alias.DNSName),
			EvaluateTargetHealth: r.Alias.EvaluateTargetHealth,
		}
		return rs
	}
	rs.TTL = aws.Int64(r.TTL)
	for _, v := range r.Values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

// changesToSDK converts a batch to Route 53's change batch.
func changesToSDK(b records.Batch) *types.ChangeBatch {
	cb := &types.ChangeBatch{}
	if b.Comment != "" {
		cb.Comment = aws.String(b.Comment)
	}
	for _, c := range b.Changes {
		cb.Changes = append(cb.Changes, types.Change{Action: types.ChangeAction(c.Action), ResourceRecordSet: ToSDK(c.Record)})
	}
	return cb
}

// normalizeName undoes Route 53's escaping (\052 for '*', ...), lower-cases and drops the trailing dot.
func normalizeName(name string) string { return records.Normalize(Unescape(name)) }

// Unescape reads a name as Route 53 writes it, with escape codes (\NNN, octal) for some characters.
func Unescape(name string) string {
	if !strings.Contains(name, `\`) {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] == '\\' && i+4 <= len(name) {
			if n, err := strconv.ParseUint(name[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// zoneID strips the "/hostedzone/" prefix Route 53 puts on hosted zone ids.
func zoneID(id string) string { return strings.TrimPrefix(id, "/hostedzone/") }

// changeID strips the "/change/" prefix Route 53 puts on change ids.
func changeID(id string) string { return strings.TrimPrefix(id, "/change/") }
