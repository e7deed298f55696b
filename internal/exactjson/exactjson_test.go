package exactjson_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/exactjson"
)

type inner struct {
	Path  string `json:"path,omitempty"`
	Local bool   `json:"allowLinkLocal,omitempty"`
}

type embedded struct {
	Shared string `json:"shared,omitempty"`
}

type doc struct {
	embedded
	Host    string            `json:"host,omitempty"`
	Steps   []int             `json:"steps"`
	Bake    *int              `json:"bakeSeconds,omitempty"`
	Health  inner             `json:"health"`
	Params  map[string]string `json:"parameters,omitempty"`
	Raw     json.RawMessage   `json:"config,omitempty"`
	Skipped string            `json:"-"`
	NoTag   string
}

func TestDecode(t *testing.T) {
	five := 5
	tests := []struct {
		name     string
		data     string
		opts     exactjson.Options
		want     doc
		problems []string
	}{
		{name: "exact keys", data: `{"host":"a","steps":[1,2],"bakeSeconds":5,"health":{"path":"/h"},"parameters":{"A":"1","a":"2"},"shared":"s","NoTag":"n"}`,
			want: doc{embedded: embedded{Shared: "s"}, Host: "a", Steps: []int{1, 2}, Bake: &five, Health: inner{Path: "/h"}, Params: map[string]string{"A": "1", "a": "2"}, NoTag: "n"}},
		{name: "raw kept as given", data: `{"config":{"Host":1}}`, want: doc{Raw: json.RawMessage(`{"Host":1}`)}},
		{name: "null where a pointer, slice or map", data: `{"bakeSeconds":null,"steps":null,"parameters":null}`},
		{name: "letter case", data: `{"Host":"a"}`, problems: []string{`Host: is not a field: keys must be spelt exactly as "host"`}},
		{name: "long s", data: `{"ho\u017ft":"a"}`, problems: []string{`hoſt: is not a field: keys must be spelt exactly as "host"`}},
		{name: "Kelvin sign, nested", data: `{"health":{"allowLin\u212aLocal":true}}`, problems: []string{"health.allowLin\u212aLocal: is not a field: keys must be spelt exactly as \"allowLinkLocal\""}},
		{name: "repeated", data: `{"host":"a","host":"b"}`, problems: []string{"host: appears more than once"}},
		{name: "repeated in a map", data: `{"parameters":{"A":"1","A":"2"}}`, problems: []string{"parameters.A: appears more than once"}},
		{name: "unknown", data: `{"hots":"a"}`, problems: []string{"hots: is not a field (known: NoTag, bakeSeconds, config, health, host, parameters, shared, steps)"}},
		{name: "unknown allowed, a fold still refused", data: `{"hots":"a","HOST":"b"}`, opts: exactjson.Options{AllowUnknown: true},
			problems: []string{`HOST: is not a field: keys must be spelt exactly as "host"`}},
		{name: "a skipped field is unknown", data: `{"Skipped":"a"}`, problems: []string{"Skipped: is not a field"}},
		{name: "every problem at once", data: `{"Host":"a","steps":"x","health":{"path":1},"bakeSeconds":1.5}`,
			problems: []string{"Host: is not a field", "steps: must be a list", "health.path: must be a string", "bakeSeconds: must be a whole number (got 1.5)"}},
		{name: "not an object", data: `[1,2,3]`, opts: exactjson.Options{What: "the input"}, problems: []string{"the input must be a JSON object"}},
		{name: "null document", data: `null`, problems: []string{"the document must be a JSON object, not null"}},
		{name: "null where a value", data: `{"host":null}`, problems: []string{"host: must be a string, not null"}},
		{name: "trailing", data: `{} {}`, problems: []string{"the document has more after its JSON value"}},
		{name: "empty", data: ``, problems: []string{"the document is empty"}},
		{name: "cut short", data: `{"host":`, problems: []string{"the document is not valid JSON"}},
		{name: "too deep", data: strings.Repeat(`{"health":`, 70) + `{}` + strings.Repeat(`}`, 70), problems: []string{"nested more than 64 levels"}},
		{name: "out of range", data: `{"steps":[99999999999999999999]}`, problems: []string{"steps[0]: must be a whole number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got doc
			err := exactjson.Decode([]byte(tt.data), &got, tt.opts)
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatalf("Decode(%s): %v", tt.data, err)
				}
				if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(doc{})); diff != "" {
					t.Errorf("Decode(%s) (-got +want):\n%s", tt.data, diff)
				}
				return
			}
			e, ok := err.(*exactjson.Error)
			if !ok || len(e.Problems) != len(tt.problems) {
				t.Fatalf("Decode(%s) = %v, want %d problems", tt.data, err, len(tt.problems))
			}
			for i, w := range tt.problems {
				if !strings.Contains(e.Problems[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, e.Problems[i], w)
				}
			}
		})
	}
}

func TestPatchAcceptsNullAnywhere(t *testing.T) {
	if err := exactjson.Check([]byte(`{"host":null,"health":{"path":null},"steps":null}`), reflect.TypeOf(doc{}), exactjson.Options{Patch: true}); err != nil {
		t.Errorf("a merge patch with nulls: %v", err)
	}
	if err := exactjson.Check([]byte(`{"health":{"Path":null}}`), reflect.TypeOf(doc{}), exactjson.Options{Patch: true}); err == nil {
		t.Error("a merge patch with a folded key: no error")
	}
}

// FuzzDecode: whatever Decode accepts, encoding/json decodes to the same value, and every key of it is a field's
// name exactly (so no reader that folds keys could see anything else).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"host":"a"}`, `{"Host":"a"}`, `{"host":"a","host":"b"}`, `{"health":{"path":"/"}}`, `[1]`, `{"steps":[1,2]}`, `{"parameters":{"K":"v"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var got doc
		if exactjson.Decode([]byte(data), &got, exactjson.Options{}) != nil {
			return
		}
		var std doc
		if err := json.Unmarshal([]byte(data), &std); err != nil {
			t.Fatalf("encoding/json refuses what Decode accepted: %s: %v", data, err)
		}
		if !cmp.Equal(got, std, cmp.AllowUnexported(doc{})) {
			t.Errorf("%s: Decode and encoding/json disagree:\n%s", data, cmp.Diff(got, std, cmp.AllowUnexported(doc{})))
		}
	})
}
