package records

import (
	"fmt"
	"slices"
)

// Repair is the batch that makes an app's records consistent with the stack in color live serving all traffic, from
// whatever state hand edits left: after it, Read reports no problem and live as the active color. The operator has
// named live, and the caller has checked that its slot names an existing, complete stack with an endpoint record,
// and health checked that stack; stacks are the ids of the app's existing stacks.
//
// Its records after the batch:
//   - live's slot TXT as it is, its weighted record at weight 100 pointing at its stack's endpoint, and stack.active
//     naming that stack;
//   - the other color's slot TXT and weighted record (weight 0, pointing at its stack) when that slot names another
//     existing stack with an endpoint record; otherwise neither (a stack no slot names is removed by the next
//     deployment's clean-up);
//   - records at the host that stand in the way of the weighted records are deleted: records of other set
//     identifiers or routing policies, and simple A, AAAA or CNAME records that cannot stand beside them; any other
//     record in the way (an MX beside weighted CNAME records) is a HostBlockedError, and nothing is written;
//     records that can stand beside them are left alone;
//   - the kept stacks' alias endpoint records evaluate their target's health exactly when rt has failover (a
//     CNAME app's weighted records carry the health checks of rt.HealthChecks: rt.Ready says whether it has them);
//   - endpoint records of stacks that do not exist, and endpoint names given weighted records, are deleted (Route 53 refuses the batch, and nothing is written,
//     when a record other than the app's weighted records aliases one of them: the error names it).
//
// An empty batch means the records already are so.
func (a App) Repair(rt Routing, s State, live Color, stacks []string) (Batch, error) {
	liveID := s.Slots[live]
	if liveID == "" {
		return Batch{}, fmt.Errorf("repair to %s: the %s slot is empty", live, live)
	}
	if !simpleEndpoint(s, liveID) {
		return Batch{}, fmt.Errorf("repair to %s: stack %s has no endpoint record (a simple record at %s)", live, liveID, a.EndpointName(liveID))
	}
	want := []Record{TXT(a.SlotName(live), TXTTTL, liveID), a.WeightedRecord(rt, live, liveID, 100), TXT(a.ActiveName(), TXTTTL, liveID)}
	other := live.Other()
	if id, ok := s.Slots[other]; ok && id != liveID && slices.Contains(stacks, id) && simpleEndpoint(s, id) {
		want = append(want, TXT(a.SlotName(other), TXTTTL, id), a.WeightedRecord(rt, other, id, 0))
	}
	// The kept stacks' alias endpoint records take the form rt writes (failover turned on or off): Restore replaces
	// an endpoint record of want that differs.
	for _, c := range rerouteEndpoints(a, rt, s, want) {
		want = append(want, c.Record)
	}
	weightedType := TypeA
	if rt.CNAME {
		weightedType = TypeCNAME
	}
	var inTheWay []Change
	for _, r := range s.HostOther {
		routed := r.SetIdentifier != "" || r.Weight != nil
		switch {
		case !routed && r.Type != weightedType && r.Type != TypeCNAME && weightedType != TypeCNAME:
			want = append(want, r) // it may stand beside the weighted records
		case a.Managed(r):
			// Restore deletes it: a simple A, AAAA or CNAME record, as an adopted one was.
		case routed:
			inTheWay = append(inTheWay, Change{Action: Delete, Record: r.Clone()}) // Restore leaves such records alone
		default:
			return Batch{}, &HostBlockedError{Host: a.HostName(), Record: r, WeightedType: weightedType}
		}
	}
	b := a.Restore(s, want)
	b.Comment = fmt.Sprintf("%s: repair the records with %s stack %s live", a.Name, live, liveID)
	b.Changes = append(inTheWay, b.Changes...)
	for _, r := range s.Records {
		p := a.ParseName(r.Name)
		if p.Kind == KindEndpoint && (r.Type == TypeA || r.Type == TypeCNAME) && (!slices.Contains(stacks, p.StackID) || r.SetIdentifier != "") {
			b.Changes = append(b.Changes, Change{Action: Delete, Record: r.Clone()})
		}
	}
	return b, nil
}

// simpleEndpoint reports whether a stack has an endpoint record as the deployer writes it (no routing policy).
func simpleEndpoint(s State, id string) bool {
	ep, ok := s.Endpoints[id]
	return ok && ep.SetIdentifier == "" && ep.Weight == nil
}

// HostBlockedError says a record at the host that the deployer does not manage (an MX or TXT record beside weighted
// CNAME records, say) stands where the weighted records must be: a repair does not delete it.
type HostBlockedError struct {
	Host         string
	Record       Record
	WeightedType string
}

func (e *HostBlockedError) Error() string {
	return fmt.Sprintf("the host %s has a %s record (%s) that weighted %s records cannot stand beside; remove it by hand", e.Host, e.Record.Type, e.Record, e.WeightedType)
}

// rerouteEndpoints is App.Reroute limited to the endpoint records of the stacks want's slot TXT records name.
func rerouteEndpoints(a App, rt Routing, s State, want []Record) []Change {
	kept := s
	kept.Slots = map[Color]string{}
	for _, r := range want {
		if p := a.ParseName(r.Name); p.Kind == KindSlot {
			kept.Slots[p.Color] = s.Slots[p.Color]
		}
	}
	kept.Weighted = nil
	return a.Reroute(rt, kept)
}
