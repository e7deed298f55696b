package health

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxVerdictBytes bounds a verdict's JSON encoding (encoding/json): a deployment's state document carries verdicts
// through Step Functions, whose payloads are limited to 256 KiB.
const MaxVerdictBytes = 8 << 10

// Limits on strings, in bytes of their JSON encoding (which escapes <, > and & as six bytes each).
const (
	maxSummaryBytes = 400
	maxLineBytes    = 300 // a failure line
	maxTextBytes    = 200 // a URL, an error, a reason
	maxNameBytes    = 160 // an ARN, an alarm name, a target id, a metric
	maxStateBytes   = 32

	// firstShare is how many items of each list are kept, taking turns between the lists, before any list gets
	// more: one long list cannot crowd out the others.
	firstShare = 4
)

// capEvidence shortens v's strings and drops its least informative evidence until its JSON encoding fits in
// MaxVerdictBytes, counting what it dropped in v.Truncated. Kept items stay in their original order.
func capEvidence(v *Verdict) {
	shortenStrings(v)

	// Every item of every list, with its rank: failures first, then (probes) the most recent.
	type item struct {
		list  int // 0 failures, 1 probes, 2 targets, 3 alarms, 4 notes
		index int
		rank  int // lower is more informative
		order int // tie-break within a rank
		size  int
	}
	var items []item
	add := func(list, index, rank, order int, x any) {
		b, _ := json.Marshal(x) // plain structs of strings and numbers: cannot fail
		items = append(items, item{list: list, index: index, rank: rank, order: order, size: len(b) + 1})
	}
	for i, f := range v.Failures {
		add(0, i, 0, i, f)
	}
	for i, p := range v.Probes {
		add(1, i, probeRank(p), -i, p)
	}
	for i, t := range v.Targets {
		add(2, i, targetRank(t), i, t)
	}
	for i, a := range v.Alarms {
		add(3, i, alarmRank(a), i, a)
	}
	for i, n := range v.Notes {
		add(4, i, 0, i, n)
	}
	total := len(items)

	// The fixed part: everything but the list items, with each list's key present and Truncated at its largest.
	fixed := *v
	fixed.Failures, fixed.Probes, fixed.Targets, fixed.Alarms, fixed.Notes = nil, nil, nil, nil, nil
	fixed.Truncated += total
	base, _ := json.Marshal(fixed)
	budget := MaxVerdictBytes - len(base) -
		len(`,"failures":[],"probes":[],"targets":[],"alarms":[],"notes":[]`)

	slices.SortStableFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.order, b.order))
	})
	kept := make([]bool, len(items))
	take := func(i int) {
		if !kept[i] && items[i].size <= budget {
			kept[i] = true
			budget -= items[i].size
		}
	}
	// First the lists take turns, each offering its most informative remaining item, up to firstShare each; then
	// whatever still fits goes by rank.
	var byList [5][]int
	for i, it := range items {
		byList[it.list] = append(byList[it.list], i)
	}
	for turn := range firstShare {
		for _, idx := range byList {
			if turn < len(idx) {
				take(idx[turn])
			}
		}
	}
	for i := range items {
		take(i)
	}

	keep := [5]map[int]bool{{}, {}, {}, {}, {}}
	dropped := 0
	for i, it := range items {
		if kept[i] {
			keep[it.list][it.index] = true
		} else {
			dropped++
		}
	}
	v.Failures = filter(v.Failures, keep[0])
	v.Probes = filter(v.Probes, keep[1])
	v.Targets = filter(v.Targets, keep[2])
	v.Alarms = filter(v.Alarms, keep[3])
	v.Notes = filter(v.Notes, keep[4])
	v.Truncated += dropped
}

func filter[T any](xs []T, keep map[int]bool) []T {
	var out []T
	for i, x := range xs {
		if keep[i] {
			out = append(out, x)
		}
	}
	return out
}

func probeRank(p Probe) int {
	if !p.OK {
		return 0
	}
	return 2
}

func targetRank(t Target) int {
	switch judgeEvidence(t) {
	case targetFails:
		return 0
	case targetInitial:
		return 1
	case targetIgnored, targetNotJudged:
		return 2
	}
	return 3
}

func alarmRank(a Alarm) int {
	switch a.State {
	case "ALARM", AlarmNotFound:
		return 0
	case "OK":
		return 3
	}
	return 1 // INSUFFICIENT_DATA and anything unexpected
}

func shortenStrings(v *Verdict) {
	v.Summary = truncate(v.Summary, maxSummaryBytes)
	for i := range v.Failures {
		v.Failures[i] = truncate(v.Failures[i], maxLineBytes)
	}
	for i := range v.Notes {
		v.Notes[i] = truncate(v.Notes[i], maxLineBytes)
	}
	for i := range v.Probes {
		p := &v.Probes[i]
		p.URL = truncate(p.URL, maxTextBytes)
		p.Error = truncate(p.Error, maxTextBytes)
	}
	for i := range v.Targets {
		t := &v.Targets[i]
		t.TargetGroup = truncate(t.TargetGroup, maxNameBytes)
		t.ID = truncate(t.ID, maxNameBytes)
		t.State = truncate(t.State, maxStateBytes)
		t.Reason = truncate(t.Reason, maxTextBytes)
	}
	for i := range v.Alarms {
		a := &v.Alarms[i]
		a.Name = truncate(a.Name, maxNameBytes)
		a.State = truncate(a.State, maxStateBytes)
		a.Metric = truncate(a.Metric, maxNameBytes)
		a.Reason = truncate(a.Reason, maxTextBytes)
	}
}

const ellipsis = "…"

// truncate shortens s so that its JSON encoding, quotes excluded, takes at most n bytes, ending it in "…" when it cut
// something. Invalid UTF-8 becomes U+FFFD, as encoding/json would make it.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	size := 0
	for _, r := range s {
		size += encodedLen(r)
	}
	if size <= n {
		return s
	}
	limit := n - len(ellipsis)
	size = 0
	for i, r := range s {
		if size+encodedLen(r) > limit {
			return s[:i] + ellipsis
		}
		size += encodedLen(r)
	}
	return s
}

// encodedLen is how many bytes encoding/json spends on r inside a string.
func encodedLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
		return 6
	}
	return utf8.RuneLen(r)
}

// CapEvidence caps a verdict changed after its check (a caller's additions to its summary or traffic evidence) as
// Check caps the verdicts it returns: within MaxVerdictBytes.
func CapEvidence(v *Verdict) { capEvidence(v) }
