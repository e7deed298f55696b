package eventbus

import (
	"fmt"
	"strconv"
	"strings"
)

// path is an input path: the JSONPath subset EventBridge evaluates ("Amazon EventBridge input transformation":
// dot notation, dashes, underscores, alphanumeric characters, array indices, wildcards, forward slashes).
type path []step

// step is one step of a path: a field name, an array index, or a wildcard (every element or field value).
type step struct {
	name     string
	index    int
	isIndex  bool
	wildcard bool
}

// parsePath reads $, $.a.b, $.a[0].b, $.a.*, $.a[*].
func parsePath(p string) (path, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("input path %q does not start with $", p)
	}
	rest := p[1:]
	var out path
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("input path %q: [ without ]", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if inner == "*" {
				out = append(out, step{wildcard: true})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("input path %q: [%s] is not an array index", p, inner)
			}
			out = append(out, step{index: n, isIndex: true})
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			rest = rest[end:]
			if name == "" {
				return nil, fmt.Errorf("input path %q: an empty field name", p)
			}
			if name == "*" {
				out = append(out, step{wildcard: true})
				continue
			}
			for _, r := range name {
				if !(r == '-' || r == '_' || r == '/' || r == '$' || r == '@' || r == ':' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')) {
					return nil, fmt.Errorf("input path %q: field name %q has %q, which EventBridge's paths do not take", p, name, r)
				}
			}
			out = append(out, step{name: name})
		default:
			return nil, fmt.Errorf("input path %q: expected . or [ at %q", p, rest)
		}
	}
	return out, nil
}

// eval returns the value at the path, and whether there is one. A wildcard makes the result the array of what
// each element (or field) gives.
func (p path) eval(v any) (any, bool) {
	if len(p) == 0 {
		return v, true
	}
	s, rest := p[0], p[1:]
	switch {
	case s.wildcard:
		var elems []any
		switch x := v.(type) {
		case []any:
			elems = x
		case map[string]any:
			for _, k := range sortedKeys(x) {
				elems = append(elems, x[k])
			}
		default:
			return nil, false
		}
		out := []any{}
		for _, e := range elems {
			if r, ok := rest.eval(e); ok {
				out = append(out, r)
			}
		}
		return out, true
	case s.isIndex:
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return nil, false
		}
		return rest.eval(a[s.index])
	default:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		f, ok := m[s.name]
		if !ok {
			return nil, false
		}
		return rest.eval(f)
	}
}
