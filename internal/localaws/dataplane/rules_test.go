package dataplane

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// chiSquare is Pearson's statistic for observed counts against expected shares of n.
func chiSquare(observed map[string]int, shares map[string]float64, n int) float64 {
	var x float64
	for k, p := range shares {
		e := p * float64(n)
		d := float64(observed[k]) - e
		x += d * d / e
	}
	return x
}

// Weighted routing: each record answers in proportion to its weight ("weight for a specified record / sum of the
// weights for all records"), one record per answer. 10,000 queries with a fixed seed; the chi-square statistic
// stays under the 0.1 % critical value (13.82 for two degrees of freedom, 10.83 for one).
func TestWeightedRouting(t *testing.T) {
	tests := []struct {
		name     string
		weights  []int64
		shares   map[string]float64
		critical float64
	}{
		{"10/30/60", []int64{10, 30, 60}, map[string]float64{"10.0.0.1": 0.1, "10.0.0.2": 0.3, "10.0.0.3": 0.6}, 13.82},
		{"1/255", []int64{1, 255}, map[string]float64{"10.0.0.1": 1.0 / 256, "10.0.0.2": 255.0 / 256}, 10.83},
		{"all zero: equal shares", []int64{0, 0}, map[string]float64{"10.0.0.1": 0.5, "10.0.0.2": 0.5}, 10.83},
		{"100/0: the zero never answers", []int64{100, 0}, map[string]float64{"10.0.0.1": 1}, 0.5},
	}
	const n = 10000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []Record
			for i, w := range tt.weights {
				ip := "10.0.0." + string(rune('1'+i))
				recs = append(recs, weighted(a("www.example.com", 60, ip), "id"+ip, w))
			}
			got := counts(t, rules(nil, hosted("example.com", recs...)), "www.example.com", dns.TypeA, n)
			observed := map[string]int{}
			for line, c := range got {
				fields := strings.Fields(line)
				if len(fields) != 5 {
					t.Fatalf("answer %q: want one A record per answer", line)
				}
				observed[fields[4]] += c
			}
			for ip := range observed {
				if _, ok := tt.shares[ip]; !ok {
					t.Errorf("%s answered %d times, want never", ip, observed[ip])
				}
			}
			if x := chiSquare(observed, tt.shares, n); x > tt.critical {
				t.Errorf("answers %v for shares %v: chi-square %.2f > %.2f", observed, tt.shares, x, tt.critical)
			}
		})
	}
}

// The two tables of "Weighted routing" (health checks and weighted routing) and the rules of "How Amazon Route 53
// chooses records when health checking is configured": records 1 and 2 of weight 1, record 3 of weight 0, with or
// without a health check; which records answer for each combination of health.
func TestHealthInWeightedGroups(t *testing.T) {
	tests := []struct {
		name        string
		health      [3]bool // of the checks of records 1, 2, 3
		thirdCheck  bool    // record 3 has a health check
		wantAnswers []string
	}{
		{"checked: 1, 2 unhealthy, 3 healthy", [3]bool{false, false, true}, true, []string{"10.0.0.3"}},
		{"checked: all unhealthy: all healthy, the nonzero first", [3]bool{false, false, false}, true, []string{"10.0.0.1", "10.0.0.2"}},
		{"checked: 2 healthy", [3]bool{false, true, false}, true, []string{"10.0.0.2"}},
		{"checked: 1, 2 healthy", [3]bool{true, true, false}, true, []string{"10.0.0.1", "10.0.0.2"}},
		{"checked: all healthy", [3]bool{true, true, true}, true, []string{"10.0.0.1", "10.0.0.2"}},
		{"unchecked zero: 1, 2 healthy", [3]bool{true, true, false}, false, []string{"10.0.0.1", "10.0.0.2"}},
		{"unchecked zero: 1, 2 unhealthy: the zero, always healthy", [3]bool{false, false, false}, false, []string{"10.0.0.3"}},
		{"unchecked zero: 2 healthy", [3]bool{false, true, false}, false, []string{"10.0.0.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakeHealth{checks: map[string]bool{"hc1": tt.health[0], "hc2": tt.health[1], "hc3": tt.health[2]}}
			third := weighted(a("www.example.com", 60, "10.0.0.3"), "three", 0)
			if tt.thirdCheck {
				third = checked(third, "hc3")
			}
			r := rules(h, hosted("example.com",
				checked(weighted(a("www.example.com", 60, "10.0.0.1"), "one", 1), "hc1"),
				checked(weighted(a("www.example.com", 60, "10.0.0.2"), "two", 1), "hc2"),
				third))
			var answered []string
			for line := range counts(t, r, "www.example.com", dns.TypeA, 200) {
				answered = append(answered, line[strings.LastIndex(line, " ")+1:])
			}
			slices.Sort(answered)
			if diff := cmp.Diff(answered, tt.wantAnswers); diff != "" {
				t.Errorf("records answering (-got +want):\n%s", diff)
			}
		})
	}
}

// "If a record ... doesn't have an associated health check, Route 53 always considers it healthy": a record without
// a check keeps answering beside one whose check fails, and takes all the traffic.
func TestRecordWithoutHealthCheckIsHealthy(t *testing.T) {
	r := rules(fakeHealth{checks: map[string]bool{"hc1": false}}, hosted("example.com",
		checked(weighted(a("www.example.com", 60, "10.0.0.1"), "one", 90), "hc1"),
		weighted(a("www.example.com", 60, "10.0.0.2"), "two", 10)))
	got := counts(t, r, "www.example.com", dns.TypeA, 500)
	if diff := cmp.Diff(got, map[string]int{"www.example.com. 60 IN A 10.0.0.2": 500}); diff != "" {
		t.Errorf("answers (-got +want):\n%s", diff)
	}
}
