package records

// Generators that turn fuzz bytes into records and batches near one app's names, so that the fuzzers hit the cases
// that matter (an app's own names, a neighbour's, bad spellings of both) rather than random strings.

// fuzzBytes hands out the fuzzer's bytes one at a time, then zeros.
type fuzzBytes []byte

func (f *fuzzBytes) byte() byte {
	if len(*f) == 0 {
		return 0
	}
	b := (*f)[0]
	*f = (*f)[1:]
	return b
}

func (f *fuzzBytes) pick(n int) int { return int(f.byte()) % n }

func pickOf[T any](f *fuzzBytes, xs []T) T { return xs[f.pick(len(xs))] }

var (
	fuzzNames = []string{
		"demo.example.com", "example.com", "stack.blue.demo.example.com", "stack.green.demo.example.com",
		"stack.active.demo.example.com", "demo-111111.example.com", "demo-222222.example.com", "demo-333333.example.com",
		"demo2.example.com", "stack.blue.demo2.example.com", "stack.active.demo2.example.com", "demo2-111111.example.com",
		"note.example.com", "stack.red.demo.example.com", "demo-11111.example.com",
		"DEMO.example.com", "demo.example.com.", "Stack.Active.Demo.Example.Com.", "demo-111111.example.com.",
		"x.example.org", "", "a..example.com",
	}
	fuzzTypes   = []string{TypeA, TypeA, TypeCNAME, TypeCNAME, TypeTXT, TypeTXT, "AAAA", "MX", "NS"}
	fuzzSetIDs  = []string{"", "", "demo-blue", "demo-green", "demo2-blue", "x", "demo-red"}
	fuzzWeights = []int64{0, 1, 10, 50, 90, 100, 255, 256, -1}
	fuzzTTLs    = []int64{0, 60, 60, 300, -1}
	fuzzZoneIDs = []string{zoneID, zoneID, lbZoneID, ""}
	fuzzChecks  = []string{"hc-111111", "hc-222222"}
	fuzzTargets = []string{
		"demo-111111.example.com", "demo-222222.example.com", "demo-333333.example.com", "demo2-111111.example.com",
		"lb-111111.eu-west-1.elb.amazonaws.com", "lb-222222.eu-west-1.elb.amazonaws.com", "demo.example.com", "note.example.com", "Demo-111111.example.com.", "",
	}
	fuzzValues = []string{
		`"111111"`, `"222222"`, `"333333"`, "111111", `"12ab56"`, `"a" "b"`, `"`, `""`,
		"demo-111111.example.com", "demo-222222.example.com", "lb-111111.eu-west-1.elb.amazonaws.com", "Demo-111111.example.com.",
		"192.0.2.1", "::1", "10 mx.example.com",
	}
)

// record returns a record built from the next bytes: a well-formed one when bit 3 or 4 of its flags is set, else
// anything.
func (f *fuzzBytes) record() Record {
	r := Record{Name: pickOf(f, fuzzNames), Type: pickOf(f, fuzzTypes), SetIdentifier: pickOf(f, fuzzSetIDs)}
	flags := f.byte()
	if flags&0x18 != 0 {
		return f.failover(f.wellFormed(r, flags), flags)
	}
	if flags&1 != 0 {
		r.Weight = Weight(pickOf(f, fuzzWeights))
	}
	if flags&2 != 0 {
		r.Alias = &Alias{HostedZoneID: pickOf(f, fuzzZoneIDs), DNSName: pickOf(f, fuzzTargets)}
	}
	if flags&2 == 0 || flags&4 != 0 { // an alias rarely has a TTL and values
		r.TTL = pickOf(f, fuzzTTLs)
		for range 1 + f.pick(3) - f.pick(2) {
			r.Values = append(r.Values, pickOf(f, fuzzValues))
		}
	}
	return f.failover(r, flags)
}

// failover gives r the failover fields when flags say so: the alias's EvaluateTargetHealth (bit 5), a health check
// (bit 6).
func (f *fuzzBytes) failover(r Record, flags byte) Record {
	if flags&0x20 != 0 && r.Alias != nil {
		r.Alias.EvaluateTargetHealth = true
	}
	if flags&0x40 != 0 {
		r.HealthCheckID = pickOf(f, fuzzChecks)
	}
	return r
}

// wellFormed fills r in so that it breaks no rule on its own (its name aside).
func (f *fuzzBytes) wellFormed(r Record, flags byte) Record {
	if r.SetIdentifier != "" {
		r.Weight = Weight(pickOf(f, []int64{0, 0, 1, 10, 50, 90, 100, 255}))
	}
	switch {
	case r.Type == TypeTXT:
		r.TTL, r.Values = 60, []string{pickOf(f, []string{`"111111"`, `"222222"`, `"333333"`, `"12ab56"`})}
	case r.Type == TypeCNAME:
		r.TTL, r.Values = pickOf(f, []int64{60, 60, 300}), []string{pickOf(f, fuzzTargets[:7])}
	case flags&2 != 0:
		r.Type, r.Alias = TypeA, &Alias{HostedZoneID: pickOf(f, fuzzZoneIDs[:3]), DNSName: pickOf(f, fuzzTargets[:7])}
	default:
		r.Type, r.TTL, r.Values = TypeA, 60, []string{pickOf(f, []string{"192.0.2.1", "192.0.2.2"})}
	}
	return r
}

// records returns up to n records; each takes several bytes.
func (f *fuzzBytes) records(n int) []Record {
	var rs []Record
	for len(*f) > 0 && len(rs) < n {
		rs = append(rs, f.record())
	}
	return rs
}

// validState returns the records of an app with two colors at rest, so that the Apply fuzzer starts from a state
// where batches can succeed.
func validState(blue, green int64) []Record {
	w := func(c Color, id string, weight int64) Record {
		return Record{Name: "demo.example.com", Type: TypeA, SetIdentifier: "demo-" + string(c), Weight: Weight(weight),
			Alias: &Alias{HostedZoneID: zoneID, DNSName: "demo-" + id + ".example.com"}}
	}
	ep := func(id string) Record {
		return Record{Name: "demo-" + id + ".example.com", Type: TypeA, Alias: &Alias{HostedZoneID: lbZoneID, DNSName: "lb-" + id + ".eu-west-1.elb.amazonaws.com"}}
	}
	txt := func(name, id string) Record {
		return Record{Name: name, Type: TypeTXT, TTL: 60, Values: []string{`"` + id + `"`}}
	}
	return []Record{ep(id1), ep(id2), txt("stack.blue.demo.example.com", id1), txt("stack.green.demo.example.com", id2),
		txt("stack.active.demo.example.com", id1), w(Blue, id1, blue), w(Green, id2, green),
		{Name: "note.example.com", Type: TypeTXT, TTL: 300, Values: []string{`"hello"`}}}
}

// change returns a change built from the next bytes: a new record, or a current one as it is or reweighted, with
// an action that suits it most of the time.
func (f *fuzzBytes) change(current []Record) Change {
	var c Change
	action := f.byte()
	if k := f.pick(4); k >= 2 && len(current) > 0 {
		c.Record = current[f.pick(len(current))].Clone()
		if k == 3 && c.Record.SetIdentifier != "" {
			c.Record.Weight = Weight(pickOf(f, fuzzWeights))
		}
		switch f.pick(8) { // now and then, the failover fields as another writer left them: a DELETE then mismatches
		case 1:
			if c.Record.Alias != nil {
				c.Record.Alias.EvaluateTargetHealth = !c.Record.Alias.EvaluateTargetHealth
			}
		case 2:
			c.Record.HealthCheckID = pickOf(f, fuzzChecks)
		}
		c.Action = []Action{Delete, Delete, Upsert, Create}[action%4]
	} else {
		c.Record = f.record()
		c.Action = []Action{Create, Create, Upsert, Upsert, Upsert, Delete}[action%6]
	}
	if action == 255 {
		c.Action = "PATCH"
	}
	return c
}
