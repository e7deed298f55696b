package deploy_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/exactjson"
)

// fuzzStored is an app's stored configuration with every protected field set, and a variant that allows two of
// them to be overridden.
const fuzzStored = `{"hostedZoneId":"Z0EXAMPLE12345","zone":"example.com","host":"demoapp.example.com",
"template":{"url":"https://templates.s3.amazonaws.com/demoapp.yaml"},"serviceRoleArn":"arn:aws:iam::123456789012:role/demoapp-cfn",
"health":{"path":"/health"}%s}`

// configKeys are the keys of Config and its nested objects, with their paths, from the type itself.
func configKeys() [][]string {
	var out [][]string
	var walk func(t reflect.Type, path []string)
	walk = func(t reflect.Type, path []string) {
		for name, ft := range exactjson.Fields(t) {
			p := append(slices.Clone(path), name)
			out = append(out, p)
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, p)
			}
		}
	}
	walk(reflect.TypeOf(deploy.Config{}), nil)
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(strings.Join(a, "."), strings.Join(b, ".")) })
	return out
}

// mutate spells a key as encoding/json would still match it, or leaves it.
func mutate(key string, how byte) string {
	switch how % 6 {
	case 1:
		return strings.ToUpper(key[:1]) + key[1:]
	case 2:
		return strings.ToUpper(key)
	case 3:
		return strings.Replace(key, "s", "\u017f", 1) // LATIN SMALL LETTER LONG S folds to s
	case 4:
		return strings.Replace(key, "k", "\u212a", 1) // KELVIN SIGN folds to k
	}
	return key
}

var fuzzValues = []string{`null`, `true`, `false`, `"shop.example.com"`, `"ZOTHER"`, `"other.example"`, `0`, `{}`,
	`{"url":"https://evil.s3.amazonaws.com/t.yaml"}`, `{"body":"Resources: {}"}`, `["host","template"]`,
	`"arn:aws:iam::123456789012:role/admin"`, `{"allowLinkLocal":true}`, `[10,30]`, `{"host":"x"}`, `{"failover":true}`,
	`["routing.failover"]`}

// FuzzProtectedFields: for every input the deployer accepts — read as Prepare reads it (deploy.CheckInput) and
// its configuration made as Prepare makes it (deploy.ResolveConfig) — each protected field of the resolved
// configuration equals the stored one's, unless the stored allowOverrides names it. The inputs are built from the
// configuration's own field names, mutated by case and folds, repeated, nested, and given nulls.
func FuzzProtectedFields(f *testing.F) {
	keys := configKeys()
	f.Add([]byte{}, false)
	f.Add([]byte{0, 5, 3}, false)
	f.Add([]byte{1, 5, 3, 1, 5, 4}, true)
	f.Add([]byte{9, 0, 0, 9, 2, 0, 20, 3, 1}, false)
	f.Add([]byte("\x07\x01\x02\x07\x00\x03\x11\x03\x00\x0b\x05\x09"), true)
	for i := range keys {
		f.Add([]byte{byte(i), 0, 3}, false)
		f.Add([]byte{byte(i), 1, 0}, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, allow bool) {
		extra := ""
		if allow {
			extra = `,"allowOverrides":["host","template"]`
		}
		stored := []byte(strings.Replace(fuzzStored, "%s", extra, 1))
		// Members: (key index, mutation, value index) triples, each set at its path in a nested document, in
		// order, as text — repeated keys and all.
		var members []string
		for len(data) >= 3 && len(members) < 12 {
			path := keys[int(data[0])%len(keys)]
			key := mutate(path[len(path)-1], data[1])
			value := fuzzValues[int(data[2])%len(fuzzValues)]
			member := `"` + key + `":` + value
			for i := len(path) - 2; i >= 0; i-- {
				member = `"` + path[i] + `":{` + member + `}`
			}
			members = append(members, member)
			data = data[3:]
		}
		raw := `{"app":"demoapp","version":"v2","config":{` + strings.Join(members, ",") + `}}`
		in, err := deploy.CheckInput([]byte(raw))
		if err != nil {
			return
		}
		got, err := deploy.ResolveConfig("demoapp", stored, in.Config)
		if err != nil {
			return
		}
		want, err := deploy.ResolveConfig("demoapp", stored)
		if err != nil {
			t.Fatalf("the stored configuration does not resolve: %v", err)
		}
		for _, field := range deploy.Protected {
			if want.AllowOverrides != nil && slices.Contains(want.AllowOverrides, field) {
				continue
			}
			g, w := fieldValue(t, got, field), fieldValue(t, want, field)
			if g != w {
				t.Errorf("input %s changed protected field %s: %s, stored %s", raw, field, g, w)
			}
		}
	})
}

// fieldValue is a dotted field of a configuration, as JSON.
func fieldValue(t *testing.T, c deploy.Config, field string) string {
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split(field, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	out, _ := json.Marshal(v)
	return string(out)
}
