package records

import "fmt"

// TXTTTL is the TTL of the slot and active TXT records.
const TXTTTL = 60

// Routing says how an app's traffic records are written.
type Routing struct {
	// Zone is the app's hosted zone (weighted alias records target endpoint records in it).
	Zone Zone
	// CNAME selects CNAME endpoint and weighted records; otherwise alias A records (the only form at a zone apex).
	CNAME bool
	// TTL of CNAME records.
	TTL int64
	// Failover lets Route 53 answer with the other stack when one fails (routing.failover): the alias records carry
	// EvaluateTargetHealth, and a CNAME app's weighted records the health check of the stack they point at.
	Failover bool
	// HealthChecks maps stack ids to their Route 53 health check ids, for a CNAME app with Failover: the caller
	// creates a stack's check before any record refers to it (HealthChecked says which stacks need one).
	HealthChecks map[string]string
}

// HealthChecked reports whether the app's weighted records refer to a Route 53 health check per stack: CNAME
// records with Failover (an alias evaluates its target's health instead).
func (rt Routing) HealthChecked() bool { return rt.Failover && rt.CNAME }

// MissingHealthCheckError says a CNAME app with failover needs a stack's Route 53 health check before its weighted
// record is written, and the caller has none.
type MissingHealthCheckError struct {
	StackID string
}

func (e *MissingHealthCheckError) Error() string {
	return fmt.Sprintf("stack %s has no Route 53 health check: with failover on, its weighted CNAME record needs one", e.StackID)
}

// Ready returns a MissingHealthCheckError for the first of the stacks that needs a health check and has none.
func (rt Routing) Ready(stackIDs ...string) error {
	if !rt.HealthChecked() {
		return nil
	}
	for _, id := range stackIDs {
		if id != "" && rt.HealthChecks[id] == "" {
			return &MissingHealthCheckError{StackID: id}
		}
	}
	return nil
}

// Target is where a stack's endpoint record points: its load balancer.
type Target struct {
	// DNSName is the load balancer's DNS name.
	DNSName string
	// HostedZoneID is the load balancer's canonical hosted zone; required for alias records.
	HostedZoneID string
}

// InUseError says a stack's records cannot be removed because the app's records still route to it or name it.
type InUseError struct {
	StackID string
	Reason  string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("stack %s is in use: %s", e.StackID, e.Reason)
}

// EndpointRecord is a stack's endpoint record: <app>-<id>.<zone> → its load balancer.
func (a App) EndpointRecord(rt Routing, stackID string, t Target) (Record, error) {
	name := a.EndpointName(stackID)
	dns := Normalize(t.DNSName)
	if err := ValidateDomain(dns); err != nil {
		return Record{}, fmt.Errorf("endpoint of stack %s: %w", stackID, err)
	}
	if rt.CNAME {
		return Record{Name: name, Type: TypeCNAME, TTL: rt.TTL, Values: []string{dns}}, nil
	}
	if t.HostedZoneID == "" {
		return Record{}, fmt.Errorf("endpoint of stack %s: an alias record needs the load balancer's hosted zone, and %s has none (use a CNAME endpoint)", stackID, dns)
	}
	return Record{Name: name, Type: TypeA, Alias: &Alias{HostedZoneID: t.HostedZoneID, DNSName: dns, EvaluateTargetHealth: rt.Failover}}, nil
}

// WeightedRecord is a color's weighted record at the host, pointing at a stack's endpoint record; with failover, an
// alias evaluates its target's health and a CNAME carries the stack's health check (rt.Ready says whether it has one).
func (a App) WeightedRecord(rt Routing, c Color, stackID string, weight int64) Record {
	r := Record{Name: a.HostName(), SetIdentifier: a.SetIdentifier(c), Weight: Weight(weight)}
	if rt.CNAME {
		r.Type, r.TTL, r.Values = TypeCNAME, rt.TTL, []string{a.EndpointName(stackID)}
		if rt.Failover {
			r.HealthCheckID = rt.HealthChecks[stackID]
		}
	} else {
		r.Type, r.Alias = TypeA, &Alias{HostedZoneID: rt.Zone.ID, DNSName: a.EndpointName(stackID), EvaluateTargetHealth: rt.Failover}
	}
	return r
}

// Reroute lists the changes that give the records of the stacks in the slots the form rt writes, their targets and
// weights kept: an alias endpoint record's EvaluateTargetHealth, and each weighted record pointing at its slot's
// stack rewritten as WeightedRecord writes it (its TTL, EvaluateTargetHealth or health check). Turning failover on
// or off, or changing a CNAME app's TTL, rewrites the records so; records of the other type are left alone.
// Nothing to change: none.
func (a App) Reroute(rt Routing, s State) []Change {
	var out []Change
	for _, c := range Colors {
		id, ok := s.Slots[c]
		if !ok {
			continue
		}
		if ep, ok := s.Endpoints[id]; ok && ep.Alias != nil && !rt.CNAME && ep.Alias.EvaluateTargetHealth != rt.Failover {
			ep = ep.Clone()
			ep.Alias.EvaluateTargetHealth = rt.Failover
			out = append(out, Change{Action: Upsert, Record: ep})
		}
		if w, ok := s.Weighted[c]; ok && w.Weight != nil && w.Target() == a.EndpointName(id) {
			if want := a.WeightedRecord(rt, c, id, *w.Weight); want.Type == w.Type && !want.Equal(w) {
				out = append(out, Change{Action: Upsert, Record: want})
			}
		}
	}
	return out
}

// PublishEndpoint is the batch that writes a stack's endpoint record. It goes in its own batch, before anything
// aliases it.
func (a App) PublishEndpoint(rt Routing, stackID string, t Target) (Batch, error) {
	r, err := a.EndpointRecord(rt, stackID, t)
	if err != nil {
		return Batch{}, err
	}
	return Batch{
		Comment: fmt.Sprintf("%s: publish the endpoint of stack %s", a.Name, stackID),
		Changes: []Change{{Action: Upsert, Record: r}},
	}, nil
}

// PublishSlot is the batch that puts a stack in a color's slot: the slot TXT, and the color's weighted record
// retargeted at the stack with weight 0 when the host already has weighted records (on an app's first release it
// has none: the switch creates the first). The other color's records get the form rt writes in the same batch
// (Reroute): a weighted CNAME group shares one TTL, so a changed TTL rewrites the other record too, or Route 53 would
// refuse the group; and turning failover on or off rewrites the live stack's records with the new stack's.
func (a App) PublishSlot(rt Routing, s State, c Color, stackID string) Batch {
	b := Batch{
		Comment: fmt.Sprintf("%s: put stack %s in the %s slot", a.Name, stackID, c),
		Changes: []Change{{Action: Upsert, Record: TXT(a.SlotName(c), TXTTTL, stackID)}},
	}
	if len(s.Weighted) > 0 {
		b.Changes = append(b.Changes, Change{Action: Upsert, Record: a.WeightedRecord(rt, c, stackID, 0)})
		other := s
		other.Slots = map[Color]string{}
		if id, ok := s.Slots[c.Other()]; ok {
			other.Slots[c.Other()] = id
		}
		b.Changes = append(b.Changes, a.Reroute(rt, other)...)
	}
	return b
}

// Shift is the batch of one weight step: the new color gets percent of the traffic and the live color the rest.
func (a App) Shift(rt Routing, s State, newColor Color, percent int) (Batch, error) {
	if percent < 1 || percent > 99 {
		return Batch{}, fmt.Errorf("step %d%%: a step is between 1 and 99", percent)
	}
	live := newColor.Other()
	newID, liveID := s.Slots[newColor], s.Slots[live]
	if newID == "" || liveID == "" {
		return Batch{}, fmt.Errorf("shift to %s: both slots must hold a stack (blue %q, green %q)", newColor, s.Slots[Blue], s.Slots[Green])
	}
	b := Batch{
		Comment: fmt.Sprintf("%s: %d%% to %s stack %s", a.Name, percent, newColor, newID),
		Changes: []Change{
			{Action: Upsert, Record: a.WeightedRecord(rt, newColor, newID, int64(percent))},
			{Action: Upsert, Record: a.WeightedRecord(rt, live, liveID, int64(100-percent))},
		},
	}
	// The step relies on the slots and stack.active naming what they named when it was decided.
	for _, r := range s.Records {
		if k := a.ParseName(r.Name).Kind; k == KindSlot || k == KindActive {
			b.Depends = append(b.Depends, r.Clone())
		}
	}
	return b, nil
}

// Switch is the batch that makes a color's stack live: its weighted record 100, the other color's 0 (where it has
// one), and stack.active naming the stack — one batch, so traffic and the recorded state never disagree. adopt, when
// set, is a simple record at the host that the batch deletes so the weighted record can take its place.
func (a App) Switch(rt Routing, s State, c Color, adopt *Record) (Batch, error) {
	id := s.Slots[c]
	if id == "" {
		return Batch{}, fmt.Errorf("switch to %s: the %s slot is empty", c, c)
	}
	if _, ok := s.Endpoints[id]; !ok {
		return Batch{}, fmt.Errorf("switch to %s: stack %s has no endpoint record", c, id)
	}
	b := Batch{Comment: fmt.Sprintf("%s: switch to %s stack %s", a.Name, c, id)}
	if adopt != nil {
		b.Changes = append(b.Changes, Change{Action: Delete, Record: adopt.Clone()})
	}
	b.Changes = append(b.Changes, Change{Action: Upsert, Record: a.WeightedRecord(rt, c, id, 100)})
	if other, ok := s.Slots[c.Other()]; ok && len(s.Weighted) > 0 {
		b.Changes = append(b.Changes, Change{Action: Upsert, Record: a.WeightedRecord(rt, c.Other(), other, 0)})
	}
	b.Changes = append(b.Changes, Change{Action: Upsert, Record: TXT(a.ActiveName(), TXTTTL, id)})
	return b, nil
}

// Managed reports whether a record is one a restore puts back: the slot and active TXT records and everything at
// the host. Endpoint records are not: they come and go with their stacks.
func (a App) Managed(r Record) bool {
	switch a.ParseName(r.Name).Kind {
	case KindSlot, KindActive:
		return true
	case KindHost:
		// The app's weighted records, and a simple address record the first switch may adopt; never the zone's NS
		// and SOA at an apex host, nor other records someone keeps at the host (MX, TXT, other routing policies).
		if _, ours := a.ParseSetIdentifier(r.SetIdentifier); ours {
			return true
		}
		return r.SetIdentifier == "" && (r.Type == TypeA || r.Type == "AAAA" || r.Type == TypeCNAME)
	}
	return false
}

// Restore is the batch that puts the app's managed records back exactly as they were (before, as a plan recorded
// them): records that differ are replaced, records that were not there are deleted; endpoint records in before that
// differ now are replaced too. Deletions come first, so a weighted record can give way to a simple one it had
// replaced. An empty batch means nothing differs.
func (a App) Restore(current State, before []Record) Batch {
	want := map[Key]Record{}
	for _, r := range before {
		if a.Managed(r) {
			want[r.Key()] = r
		}
	}
	var deletes, upserts []Change
	have := map[Key]bool{}
	for _, r := range current.Records {
		if !a.Managed(r) {
			continue
		}
		have[r.Key()] = true
		w, keep := want[r.Key()]
		switch {
		case !keep:
			deletes = append(deletes, Change{Action: Delete, Record: r.Clone()})
		case !w.Equal(r):
			upserts = append(upserts, Change{Action: Upsert, Record: w.Clone()})
		}
	}
	for _, r := range before {
		if a.Managed(r) && !have[r.Key()] {
			upserts = append(upserts, Change{Action: Upsert, Record: r.Clone()})
		}
	}
	// An endpoint record the deployment rewrote (its EvaluateTargetHealth, when it turned failover on or off) goes
	// back as it was while its stack's record is there; endpoint records are never created or deleted here.
	now := map[Key]Record{}
	for _, r := range current.Records {
		if a.ParseName(r.Name).Kind == KindEndpoint {
			now[r.Key()] = r
		}
	}
	for _, r := range before {
		if cur, ok := now[r.Key()]; ok && !cur.Equal(r) {
			upserts = append(upserts, Change{Action: Upsert, Record: r.Clone()})
		}
	}
	return Batch{
		Comment: fmt.Sprintf("%s: restore the records as they were before the deployment", a.Name),
		Changes: append(deletes, upserts...),
	}
}

// RemoveStack is the batch that deletes a stack's endpoint record, refusing with an InUseError while the app's
// records name the stack or route to it. An empty batch means the stack has no endpoint record.
func (a App) RemoveStack(s State, stackID string) (Batch, error) {
	if s.Active == stackID {
		return Batch{}, &InUseError{StackID: stackID, Reason: "it is the live stack (stack.active)"}
	}
	for _, c := range Colors {
		if s.Slots[c] == stackID {
			return Batch{}, &InUseError{StackID: stackID, Reason: fmt.Sprintf("the %s slot names it", c)}
		}
		if w, ok := s.Weighted[c]; ok && w.Target() == a.EndpointName(stackID) {
			return Batch{}, &InUseError{StackID: stackID, Reason: fmt.Sprintf("the %s weighted record points at it", c)}
		}
	}
	r, ok := s.Endpoints[stackID]
	if !ok {
		return Batch{Comment: fmt.Sprintf("%s: stack %s has no endpoint record", a.Name, stackID)}, nil
	}
	return Batch{
		Comment: fmt.Sprintf("%s: remove the endpoint of deleted stack %s", a.Name, stackID),
		Changes: []Change{{Action: Delete, Record: r.Clone()}},
	}, nil
}

// Unapplied returns the part of b that current does not already reflect: the changes of every record set that
// already is as the batch leaves it (written with the same data, or deleted) are dropped. A handler called twice
// therefore does not re-submit a change that is already applied.
func Unapplied(current []Record, b Batch) Batch {
	have := make(map[Key]Record, len(current))
	for _, r := range current {
		have[r.Key()] = r
	}
	final := map[Key]Change{}
	for _, c := range b.Changes {
		final[c.Record.Key()] = c
	}
	out := Batch{Comment: b.Comment}
	for _, c := range b.Changes {
		last := final[c.Record.Key()]
		r, exists := have[c.Record.Key()]
		done := (last.Action == Delete && !exists) || (last.Action != Delete && exists && r.Equal(last.Record))
		if !done {
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}
