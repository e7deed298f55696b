package bluegreen

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Values of the pseudo parameters when a test resolves a template's intrinsics.
var pseudo = map[string]string{
	"AWS::Partition": "aws",
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "123456789012",
	"AWS::URLSuffix": "amazonaws.com",
}

// resolve evaluates the intrinsics the deployer's template uses, for comparison with plain strings: pseudo
// parameters by their values above, Ref of a resource as refs[id] or "{Ref:id}", Fn::GetAtt as "{id.Attr}",
// Fn::Join by joining. Anything else is returned as is, with its parts resolved.
func resolve(v any, refs map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if ref, ok := x["Ref"].(string); ok {
				if p, ok := pseudo[ref]; ok {
					return p
				}
				if r, ok := refs[ref]; ok {
					return r
				}
				return "{Ref:" + ref + "}"
			}
			if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
				return fmt.Sprintf("{%v.%v}", ga[0], ga[1])
			}
			if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
				var parts []string
				for _, p := range j[1].([]any) {
					parts = append(parts, fmt.Sprint(resolve(p, refs)))
				}
				return strings.Join(parts, j[0].(string))
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolve(e, refs)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e, refs)
		}
		return out
	}
	return v
}

// resources returns the template's resources of a type, by logical id.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// resource returns one resource by logical id, failing the test when it is missing.
func (s *synthesized) resource(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := s.json["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	return r
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// stmt is one IAM statement with its values resolved.
type stmt struct {
	Sid       string
	Actions   []string
	Resources []string
	Condition map[string]any
}

// policies returns the statements of the IAM policies attached to each role (by the role's logical id).
func (s *synthesized) policies() map[string][]stmt {
	out := map[string][]stmt{}
	for _, p := range s.resources("AWS::IAM::Policy") {
		pp := props(p)
		doc := resolve(pp["PolicyDocument"], nil).(map[string]any)
		for _, role := range pp["Roles"].([]any) {
			id := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(resolve(role, nil)), "{Ref:"), "}")
			for _, raw := range doc["Statement"].([]any) {
				out[id] = append(out[id], toStmt(raw.(map[string]any)))
			}
		}
	}
	return out
}

func toStmt(m map[string]any) stmt {
	st := stmt{Actions: strs(m["Action"]), Resources: strs(m["Resource"])}
	st.Sid, _ = m["Sid"].(string)
	st.Condition, _ = m["Condition"].(map[string]any)
	if m["Effect"] != "Allow" {
		panic(fmt.Sprintf("a statement that does not allow: %v", m))
	}
	return st
}

// strs returns a string or a list of strings as a sorted list.
func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = []string{x}
	case []any:
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
	}
	sort.Strings(out)
	return out
}

// actions returns every action a role's statements allow.
func actions(statements []stmt) []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range statements {
		for _, a := range st.Actions {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}
