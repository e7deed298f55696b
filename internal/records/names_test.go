package records

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateAppName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // "" for a valid name
	}{
		{"a", ""},
		{"demo", ""},
		{"demo2", ""},
		{"a1", ""},
		{"blue", ""},   // a color is a fine app name: stack.blue.blue.<zone>
		{"active", ""}, // so is "active": stack.active.active.<zone>
		{"abcdefghijklmnopqrstuvwx", ""},
		{"", "must be 1-24"},
		{"abcdefghijklmnopqrstuvwxy", "must be 1-24"}, // 25 characters
		{"Demo", "lower-case"},
		{"1demo", "starting with a letter"},
		{"de-mo", "no hyphens"}, // "<app>-" would cover another app's names
		{"de_mo", "letters and digits"},
		{"demo.app", "letters and digits"}, // two labels
		{" demo", "letters and digits"},
		{"demo\n", "letters and digits"},
		{"démo", "letters and digits"},
		{"stack", "reserved"}, // the first label of every slot and active record
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			checkErr(t, ValidateAppName(tt.name), tt.wantErr)
		})
	}
}

func TestValidateStackID(t *testing.T) {
	tests := []struct {
		id      string
		wantErr string
	}{
		{"000000", ""},
		{"123456", ""},
		{"999999", ""},
		{"", "exactly 6 digits"},
		{"12345", "exactly 6 digits"},
		{"1234567", "exactly 6 digits"},
		{"12345a", "exactly 6 digits"},
		{" 123456", "exactly 6 digits"},
		{"-12345", "exactly 6 digits"},
		{"١٢٣٤٥٦", "exactly 6 digits"}, // Arabic-Indic digits are not [0-9]
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.id), func(t *testing.T) {
			checkErr(t, ValidateStackID(tt.id), tt.wantErr)
		})
	}
}

func TestValidateHost(t *testing.T) {
	tests := []struct {
		host    string
		wantErr string
	}{
		{"demo.example.com", ""},
		{"example.com", ""}, // the zone apex
		{"www.demo.example.com", ""},
		{"stacks.example.com", ""},
		{"x.stack.example.com", ""},         // "stack" is reserved only as the first label
		{"demo-12345.example.com", ""},      // five digits: not a per-stack name
		{"demo-1234567.example.com", ""},    // seven digits: not a per-stack name either
		{"demo-blue.example.com", ""},       // SetIdentifiers are not record names
		{"Demo.example.com", "lower-case"},  // Route 53 names are compared lower-case
		{"demo.example.com.", "lower-case"}, // no trailing dot in code
		{"", "empty DNS name"},
		{"demo..example.com", "invalid label"},
		{"-demo.example.com", "invalid label"},
		{"demo.other.com", "not in zone"},
		{"notexample.com", "not in zone"}, // a suffix is not enough: the label must end there
		{"stack.example.com", "reserved label"},
		{"stack.blue.demo.example.com", "reserved label"},   // another app's slot record
		{"stack.active.demo.example.com", "reserved label"}, // another app's active record
		{"demo-123456.example.com", "per-stack endpoint"},   // another app's endpoint record
		{"x-000000.example.com", "per-stack endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			checkErr(t, ValidateHost(tt.host, "example.com"), tt.wantErr)
		})
	}
}

func TestNewApp(t *testing.T) {
	// 243 characters: a valid zone, but stack.active.demo.<zone> would have 261.
	longZone := strings.Repeat(strings.Repeat("z", 62)+".", 3) + strings.Repeat("y", 50) + ".com"
	tests := []struct {
		name, appName, zone, host string
		want                      App
		wantErr                   []string
	}{
		{name: "default host", appName: "demo", zone: "example.com",
			want: App{Name: "demo", Zone: "example.com", Host: "demo.example.com"}},
		{name: "zone and host normalized", appName: "demo", zone: "Example.COM.", host: "WWW.Example.com.",
			want: App{Name: "demo", Zone: "example.com", Host: "www.example.com"}},
		{name: "apex host", appName: "demo", zone: "example.com", host: "example.com",
			want: App{Name: "demo", Zone: "example.com", Host: "example.com"}},
		{name: "bad name", appName: "de-mo", zone: "example.com",
			want: App{Name: "de-mo", Zone: "example.com", Host: "de-mo.example.com"}, wantErr: []string{"no hyphens"}},
		{name: "bad zone", appName: "demo", zone: "exa mple.com", host: "demo.example.com",
			want: App{Name: "demo", Zone: "exa mple.com", Host: "demo.example.com"}, wantErr: []string{"zone:", "not in zone"}},
		{name: "host outside the zone", appName: "demo", zone: "example.com", host: "demo.example.org",
			want: App{Name: "demo", Zone: "example.com", Host: "demo.example.org"}, wantErr: []string{"not in zone"}},
		{name: "host shaped like an endpoint", appName: "demo", zone: "example.com", host: "other-000001.example.com",
			want: App{Name: "demo", Zone: "example.com", Host: "other-000001.example.com"}, wantErr: []string{"per-stack"}},
		{name: "zone too long for the record names", appName: "demo", zone: longZone, host: longZone,
			want: App{Name: "demo", Zone: longZone, Host: longZone}, wantErr: []string{"too long for app"}},
		{name: "zone just short enough", appName: "demo", zone: longZone[len(longZone)-235:], host: longZone[len(longZone)-235:],
			want: App{Name: "demo", Zone: longZone[len(longZone)-235:], Host: longZone[len(longZone)-235:]}},
		{name: "every problem at once", appName: "Demo", zone: "example.com", host: "stack.example.com",
			want: App{Name: "Demo", Zone: "example.com", Host: "stack.example.com"}, wantErr: []string{"app name", "reserved label"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewApp(tt.appName, tt.zone, tt.host)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewApp(%q, %q, %q) app mismatch (-want +got):\n%s", tt.appName, tt.zone, tt.host, diff)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Errorf("NewApp(%q, %q, %q) = %v, want no error", tt.appName, tt.zone, tt.host, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("NewApp(%q, %q, %q) = nil error, want %q", tt.appName, tt.zone, tt.host, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("NewApp(%q, %q, %q) = %q, want it to contain %q", tt.appName, tt.zone, tt.host, err, w)
				}
			}
		})
	}
}

// TestNames pins the names of DESIGN.md's table.
func TestNames(t *testing.T) {
	a := mustApp(t, "demoapp", "")
	got := []string{a.SlotName(Blue), a.SlotName(Green), a.ActiveName(), a.EndpointName("819273"), a.HostName(),
		a.StackName("819273"), a.SetIdentifier(Blue), a.SetIdentifier(Green)}
	want := []string{"stack.blue.demoapp.example.com", "stack.green.demoapp.example.com", "stack.active.demoapp.example.com",
		"demoapp-819273.example.com", "demoapp.example.com", "demoapp-819273", "demoapp-blue", "demoapp-green"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names mismatch (-want +got):\n%s", diff)
	}
}

func TestParseName(t *testing.T) {
	demo := mustApp(t, "demo", "")
	apex := mustApp(t, "demo", "example.com")
	tests := []struct {
		app  App
		name string
		want Parsed
	}{
		{demo, "demo.example.com", Parsed{Kind: KindHost}},
		{demo, "DEMO.Example.com.", Parsed{Kind: KindHost}}, // names are normalized first
		{demo, "stack.active.demo.example.com", Parsed{Kind: KindActive}},
		{demo, "stack.blue.demo.example.com", Parsed{Kind: KindSlot, Color: Blue}},
		{demo, "stack.green.demo.example.com", Parsed{Kind: KindSlot, Color: Green}},
		{demo, "demo-123456.example.com", Parsed{Kind: KindEndpoint, StackID: "123456"}},
		{demo, "demo-12345.example.com", Parsed{}},
		{demo, "demo-1234567.example.com", Parsed{}},
		{demo, "demo-123456.x.example.com", Parsed{}},
		{demo, "demo2-123456.example.com", Parsed{}},
		{demo, "demo2.example.com", Parsed{}},
		{demo, "stack.blue.demo2.example.com", Parsed{}},
		{demo, "stack.red.demo.example.com", Parsed{}},
		{demo, "example.com", Parsed{}},
		{demo, "demo-123456.example.org", Parsed{}},
		{apex, "example.com", Parsed{Kind: KindHost}},
		{apex, "demo.example.com", Parsed{}}, // not its host any more
		{apex, "demo-123456.example.com", Parsed{Kind: KindEndpoint, StackID: "123456"}},
	}
	for _, tt := range tests {
		t.Run(tt.app.HostName()+"/"+tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.app.ParseName(tt.name)); diff != "" {
				t.Errorf("ParseName(%q) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// trickyAppNames are pairs that share prefixes, so a careless prefix match would mix them up.
var trickyAppNames = []string{"a", "a1", "a11", "ab", "demo", "demo2", "demoa", "demo22", "blue", "green", "active",
	"d", "de", "dem", "x1", "x12345", "b123456", "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvw"}

// randomAppName returns a valid app name of random length.
func randomAppName(r *rand.Rand) string {
	const letters, alnum = "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789"
	for {
		n := 1 + r.IntN(MaxAppNameLen)
		b := []byte{letters[r.IntN(len(letters))]}
		for len(b) < n {
			b = append(b, alnum[r.IntN(len(alnum))])
		}
		if ValidateAppName(string(b)) == nil {
			return string(b)
		}
	}
}

// appNames lists every name an app uses: record names, SetIdentifiers and stack names.
func appNames(a App, ids []string) (records, others []string) {
	records = []string{a.HostName(), a.ActiveName(), a.SlotName(Blue), a.SlotName(Green)}
	others = []string{a.SetIdentifier(Blue), a.SetIdentifier(Green)}
	for _, id := range ids {
		records = append(records, a.EndpointName(id))
		others = append(others, a.StackName(id))
	}
	return records, others
}

// TestAppsNeverCollide is the collision guarantee: for distinct valid app names in one zone (one of them possibly
// at the zone apex), no record name, SetIdentifier or stack name of one equals another's, no "<app>-" prefix covers
// another's stack name, and ParseName never claims another app's record.
func TestAppsNeverCollide(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	names := append([]string(nil), trickyAppNames...)
	for range 200 {
		names = append(names, randomAppName(r))
	}
	ids := []string{"000000", "123456", "999999", "000001"}
	for range 4 {
		ids = append(ids, fmt.Sprintf("%06d", r.IntN(1_000_000)))
	}
	pairs := 0
	for i, an := range names {
		for j, bn := range names {
			if an == bn || (i >= len(trickyAppNames) && j >= len(trickyAppNames) && r.IntN(20) != 0) {
				continue // every tricky pair, a sample of the random ones
			}
			for _, aHost := range []string{"", "example.com"} {
				a, b := mustApp(t, an, aHost), mustApp(t, bn, "")
				checkNoCollision(t, a, b, ids)
				checkNoCollision(t, b, a, ids)
				pairs++
			}
		}
	}
	if pairs < 1000 {
		t.Fatalf("only %d pairs checked", pairs)
	}
}

func checkNoCollision(t *testing.T, a, b App, ids []string) {
	t.Helper()
	aRecords, aOthers := appNames(a, ids)
	bRecords, bOthers := appNames(b, ids)
	bAll := map[string]bool{}
	for _, n := range append(bRecords, bOthers...) {
		bAll[n] = true
	}
	for _, n := range append(aRecords, aOthers...) {
		if bAll[n] {
			t.Errorf("apps %q (host %s) and %q share the name %q", a.Name, a.HostName(), b.Name, n)
		}
	}
	for _, n := range aRecords {
		if p := b.ParseName(n); p.Kind != KindNone {
			t.Errorf("app %q ParseName(%q) = %+v, a record of app %q", b.Name, n, p, a.Name)
		}
		if b.Owns(Record{Name: n}) || b.Managed(Record{Name: n}) {
			t.Errorf("app %q owns or manages %q, a record of app %q", b.Name, n, a.Name)
		}
	}
	for _, c := range Colors {
		if got, ok := b.ParseSetIdentifier(a.SetIdentifier(c)); ok {
			t.Errorf("app %q ParseSetIdentifier(%q) = %s, a SetIdentifier of app %q", b.Name, a.SetIdentifier(c), got, a.Name)
		}
	}
	for _, id := range ids {
		if strings.HasPrefix(b.StackName(id), a.Name+"-") {
			t.Errorf("app %q's prefix %q covers app %q's stack %q", a.Name, a.Name+"-", b.Name, b.StackName(id))
		}
	}
}

func TestNewStackID(t *testing.T) {
	const seed = "arn:aws:states:eu-west-1:123456789012:execution:bluegreen:demo-1"
	first := NewStackID(seed, nil)
	if err := ValidateStackID(first); err != nil {
		t.Fatalf("NewStackID(%q, nil) = %q: %v", seed, first, err)
	}
	// The same execution always plans the same id, across runs and releases of this code.
	if got, want := first, "491994"; got != want {
		t.Errorf("NewStackID(%q, nil) = %q, want %q", seed, got, want)
	}
	if got := NewStackID(seed, func(string) bool { return false }); got != first {
		t.Errorf("NewStackID with nothing taken = %q, want %q", got, first)
	}
	seen := map[string]bool{}
	for i := range 50 {
		seen[NewStackID(fmt.Sprintf("%s-%d", seed, i), nil)] = true
	}
	if len(seen) < 45 {
		t.Errorf("50 seeds gave only %d distinct ids", len(seen))
	}

	next := func(id string, n int) string {
		var v int
		fmt.Sscanf(id, "%d", &v)
		return fmt.Sprintf("%06d", (v+n)%1_000_000)
	}
	tests := []struct {
		name  string
		taken map[string]bool
		want  string
	}{
		{"first free", map[string]bool{}, first},
		{"first taken", map[string]bool{first: true}, next(first, 1)},
		{"two taken", map[string]bool{first: true, next(first, 1): true}, next(first, 2)},
		{"a later one taken", map[string]bool{next(first, 1): true}, first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			got := NewStackID(seed, func(id string) bool { asked = append(asked, id); return tt.taken[id] })
			if got != tt.want {
				t.Errorf("NewStackID = %q, want %q (asked %q)", got, tt.want, asked)
			}
		})
	}
	t.Run("wraps after 999999", func(t *testing.T) {
		got := NewStackID(seed, func(id string) bool { return id != "000000" })
		if got != "000000" {
			t.Errorf("NewStackID = %q, want 000000", got)
		}
	})
	t.Run("all taken panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("NewStackID with every id taken did not panic")
			}
		}()
		NewStackID(seed, func(string) bool { return true })
	})
}

// checkErr asserts err is nil when want is empty, and otherwise an error containing want.
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("got error %q, want none", err)
	case want != "" && err == nil:
		t.Errorf("got no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("got error %q, want one containing %q", err, want)
	}
}
