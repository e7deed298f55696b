package eventbus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
)

// Pattern is a compiled event pattern, matched as EventBridge matches one ("Amazon EventBridge event patterns",
// "Content filtering in Amazon EventBridge event patterns", "Arrays in Amazon EventBridge event patterns",
// EventBridge User Guide; aws/event-ruler, the library EventBridge's matching is published as, README):
//
//   - A pattern has the structure of the events it matches. Each leaf is an array of values, and a field matches
//     when any of them matches the event's value; every field named must match (and), `$or` takes an array of
//     sub-patterns of which one must match.
//   - An exact value (string, number, true, false, null) matches that value of that type; numbers compare as
//     numbers. Operators: prefix and suffix (optionally {"equals-ignore-case": ...}), equals-ignore-case, wildcard
//     (* for any run of characters, \* and \\ escaped, no two * in a row), anything-but (a value, a list of
//     strings or of numbers, or {"prefix"|"suffix"|"wildcard"|"equals-ignore-case": ...}), numeric (one
//     comparison, or a lower and an upper bound, within ±5e9), exists, and cidr.
//   - A field whose event value is an array matches when an element matches; arrays of objects are crushed out of
//     the structure, and all the fields a pattern names in one object must match within the same element.
//   - Operators work on leaf values only: exists:true needs a value that is not an object, and a field holding an
//     object counts as absent for exists:false. anything-but never matches an absent field.
//   - A key given twice: the last one counts (encoding/json keeps it).
type Pattern struct {
	root *node
}

// node is one object level of a pattern: its fields and its $or alternatives.
type node struct {
	fields map[string]*node // nested objects
	leaves map[string][]matcher
	or     [][]*node // each $or: alternatives, one of which must match
}

// matcher matches one leaf: present says whether the field has leaf values, values are those values.
type matcher interface {
	match(present bool, values []any) bool
}

// PatternError is a pattern EventBridge refuses (InvalidEventPatternException).
type PatternError struct{ Reason string }

func (e *PatternError) Error() string { return "Event pattern is not valid. Reason: " + e.Reason }

func invalid(format string, args ...any) error {
	return &PatternError{Reason: fmt.Sprintf(format, args...)}
}

// Compile reads an event pattern as PutRule takes it.
func Compile(pattern string) (*Pattern, error) {
	v, err := decodeJSON([]byte(pattern))
	if err != nil {
		return nil, invalid("the pattern is not JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("the pattern must be a JSON object")
	}
	n, err := compileNode(obj, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{root: n}, nil
}

// decodeJSON decodes JSON keeping numbers as json.Number.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("text after the JSON value")
	}
	return v, nil
}

func compileNode(obj map[string]any, at string) (*node, error) {
	n := &node{fields: map[string]*node{}, leaves: map[string][]matcher{}}
	for _, key := range sortedKeys(obj) {
		path := join(at, key)
		switch v := obj[key].(type) {
		case map[string]any:
			sub, err := compileNode(v, path)
			if err != nil {
				return nil, err
			}
			n.fields[key] = sub
		case []any:
			if key == "$or" && isObjectList(v) {
				if len(v) < 2 {
					return nil, invalid("%s: $or needs at least two alternatives", path)
				}
				var alts []*node
				for _, a := range v {
					sub, err := compileNode(a.(map[string]any), at)
					if err != nil {
						return nil, err
					}
					alts = append(alts, sub)
				}
				n.or = append(n.or, alts)
				continue
			}
			if len(v) == 0 {
				return nil, invalid("%s: Empty arrays are not allowed", path)
			}
			for _, item := range v {
				m, err := compileMatcher(item, path)
				if err != nil {
					return nil, err
				}
				n.leaves[key] = append(n.leaves[key], m)
			}
		default:
			return nil, invalid("%s: must be an object or an array", path)
		}
	}
	return n, nil
}

func isObjectList(v []any) bool {
	for _, item := range v {
		if _, ok := item.(map[string]any); !ok {
			return false
		}
	}
	return len(v) > 0
}

func join(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// compileMatcher reads one element of a leaf array.
func compileMatcher(item any, path string) (matcher, error) {
	op, ok := item.(map[string]any)
	if !ok {
		if _, nested := item.([]any); nested {
			return nil, invalid("%s: a value may not be an array", path)
		}
		return exact{item}, nil
	}
	if len(op) != 1 {
		return nil, invalid("%s: an operator object has exactly one key, not %d", path, len(op))
	}
	for name, arg := range op {
		switch name {
		case "prefix", "suffix":
			return compileAffix(name, arg, path)
		case "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("%s: equals-ignore-case must be a string", path)
			}
			return stringTest(func(v string) bool { return strings.EqualFold(v, s) }), nil
		case "wildcard":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("%s: wildcard must be a string", path)
			}
			w, err := compileWildcard(s, path)
			if err != nil {
				return nil, err
			}
			return stringTest(w), nil
		case "anything-but":
			return compileAnythingBut(arg, path)
		case "numeric":
			return compileNumeric(arg, path)
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return nil, invalid("%s: exists must be true or false", path)
			}
			return exists(b), nil
		case "cidr":
			s, ok := arg.(string)
			if !ok {
				return nil, invalid("%s: cidr must be a string", path)
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, invalid("%s: %q is not a CIDR block", path, s)
			}
			return stringTest(func(v string) bool {
				a, err := netip.ParseAddr(v)
				return err == nil && p.Contains(a)
			}), nil
		default:
			return nil, invalid("%s: unrecognized match type %s", path, name)
		}
	}
	panic("unreachable")
}

// compileAffix reads prefix or suffix: a string, or {"equals-ignore-case": string}.
func compileAffix(name string, arg any, path string) (matcher, error) {
	fold := false
	if m, ok := arg.(map[string]any); ok && len(m) == 1 {
		arg, fold = m["equals-ignore-case"], true
	}
	s, ok := arg.(string)
	if !ok {
		return nil, invalid("%s: %s must be a string or {\"equals-ignore-case\": string}", path, name)
	}
	if fold {
		s = strings.ToLower(s)
	}
	return stringTest(func(v string) bool {
		if fold {
			v = strings.ToLower(v)
		}
		if name == "prefix" {
			return strings.HasPrefix(v, s)
		}
		return strings.HasSuffix(v, s)
	}), nil
}

// compileWildcard reads a wildcard: * matches any run of characters; \* is an asterisk and \\ a backslash; a
// backslash before anything else, and two * in a row, are refused (aws/event-ruler README, "Wildcard matching").
func compileWildcard(w, path string) (func(string) bool, error) {
	var parts []string // literal runs between the * wildcards
	var cur strings.Builder
	for i := 0; i < len(w); i++ {
		switch c := w[i]; c {
		case '\\':
			if i+1 >= len(w) || (w[i+1] != '*' && w[i+1] != '\\') {
				return nil, invalid("%s: wildcard %q escapes a character other than * or \\", path, w)
			}
			cur.WriteByte(w[i+1])
			i++
		case '*':
			if i+1 < len(w) && w[i+1] == '*' {
				return nil, invalid("%s: wildcard %q has consecutive wildcard characters", path, w)
			}
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	return func(v string) bool { return globMatch(parts, v) }, nil
}

// globMatch reports whether v is parts joined by runs of any characters: the first part a prefix, the last a
// suffix, the others in order between.
func globMatch(parts []string, v string) bool {
	if len(parts) == 1 {
		return v == parts[0]
	}
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(v, first) {
		return false
	}
	v = v[len(first):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(v, mid)
		if i < 0 {
			return false
		}
		v = v[i+len(mid):]
	}
	return strings.HasSuffix(v, last)
}

// compileAnythingBut reads anything-but: a string or number, a list of strings or of numbers, or an object naming
// prefix, suffix, wildcard or equals-ignore-case.
func compileAnythingBut(arg any, path string) (matcher, error) {
	switch a := arg.(type) {
	case string, json.Number:
		return not{exact{a}}, nil
	case []any:
		if len(a) == 0 {
			return nil, invalid("%s: anything-but takes a non-empty list", path)
		}
		_, str := a[0].(string)
		var ms anyOf
		for _, v := range a {
			_, isStr := v.(string)
			_, isNum := v.(json.Number)
			if (!isStr && !isNum) || isStr != str {
				return nil, invalid("%s: an anything-but list holds only strings or only numbers", path)
			}
			ms = append(ms, exact{v})
		}
		return not{ms}, nil
	case map[string]any:
		if len(a) != 1 {
			return nil, invalid("%s: anything-but takes one operator", path)
		}
		for name, v := range a {
			switch name {
			case "prefix", "suffix":
				if _, ok := v.(string); !ok {
					return nil, invalid("%s: anything-but %s takes one string", path, name)
				}
				m, err := compileAffix(name, v, path)
				if err != nil {
					return nil, err
				}
				return not{m}, nil
			case "wildcard", "equals-ignore-case":
				list, isList := v.([]any)
				if !isList {
					list = []any{v}
				}
				var ms anyOf
				for _, item := range list {
					m, err := compileMatcher(map[string]any{name: item}, path)
					if err != nil {
						return nil, err
					}
					ms = append(ms, m)
				}
				return not{ms}, nil
			default:
				return nil, invalid("%s: anything-but does not take %s", path, name)
			}
		}
	}
	return nil, invalid("%s: anything-but takes a string, a number, a list or an operator", path)
}

// numericLimit is the range numeric matching works in.
const numericLimit = 5e9

// compileNumeric reads numeric: ["op", n] or a lower bound (> or >=) then an upper bound (< or <=); = stands alone.
func compileNumeric(arg any, path string) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return nil, invalid("%s: numeric takes [op, number] or [lower op, number, upper op, number]", path)
	}
	type cmp struct {
		op string
		n  float64
	}
	var cmps []cmp
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		num, isNum := list[i+1].(json.Number)
		if !ok || !isNum {
			return nil, invalid("%s: numeric takes operators and numbers in turn", path)
		}
		f, err := num.Float64()
		if err != nil || math.Abs(f) > numericLimit {
			return nil, invalid("%s: numeric value %s is outside -5.0e9 to 5.0e9", path, num)
		}
		switch op {
		case "<", "<=", "=", ">=", ">":
		default:
			return nil, invalid("%s: %q is not a numeric operator", path, op)
		}
		cmps = append(cmps, cmp{op, f})
	}
	if len(cmps) == 2 {
		lo, hi := cmps[0].op, cmps[1].op
		if (lo != ">" && lo != ">=") || (hi != "<" && hi != "<=") || cmps[0].n >= cmps[1].n {
			return nil, invalid("%s: a numeric range is a lower bound (> or >=) then a greater upper bound (< or <=)", path)
		}
	}
	return numberTest(func(v float64) bool {
		for _, c := range cmps {
			ok := map[string]bool{"<": v < c.n, "<=": v <= c.n, "=": v == c.n, ">=": v >= c.n, ">": v > c.n}[c.op]
			if !ok {
				return false
			}
		}
		return true
	}), nil
}

// exact matches one value of the same type; numbers compare as numbers.
type exact struct{ want any }

func (e exact) match(_ bool, values []any) bool {
	for _, v := range values {
		if sameValue(e.want, v) {
			return true
		}
	}
	return false
}

func sameValue(want, v any) bool {
	switch w := want.(type) {
	case json.Number:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		a, err1 := w.Float64()
		b, err2 := n.Float64()
		return err1 == nil && err2 == nil && a == b
	case nil:
		return v == nil
	default:
		return want == v
	}
}

// stringTest matches when a string value passes.
type stringTest func(string) bool

func (t stringTest) match(_ bool, values []any) bool {
	for _, v := range values {
		if s, ok := v.(string); ok && t(s) {
			return true
		}
	}
	return false
}

// numberTest matches when a number value passes.
type numberTest func(float64) bool

func (t numberTest) match(_ bool, values []any) bool {
	for _, v := range values {
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil && t(f) {
				return true
			}
		}
	}
	return false
}

// exists matches on whether the field has a leaf value.
type exists bool

func (e exists) match(present bool, _ []any) bool { return present == bool(e) }

// not is anything-but: some value present that the inner matcher does not match. For an array, one such element
// is enough (each element is matched on its own).
type not struct{ inner matcher }

func (n not) match(_ bool, values []any) bool {
	for _, v := range values {
		if !n.inner.match(true, []any{v}) {
			return true
		}
	}
	return false
}

// anyOf matches when one of its matchers does.
type anyOf []matcher

func (a anyOf) match(present bool, values []any) bool {
	for _, m := range a {
		if m.match(present, values) {
			return true
		}
	}
	return false
}

// Match reports whether the event (JSON) matches the pattern. An event that is not a JSON object matches nothing.
func (p *Pattern) Match(event []byte) bool {
	v, err := decodeJSON(event)
	if err != nil {
		return false
	}
	return p.MatchValue(v)
}

// MatchValue matches an event decoded with json.Number numbers (see Match).
func (p *Pattern) MatchValue(event any) bool {
	obj, ok := event.(map[string]any)
	return ok && p.root.match(obj)
}

// match matches one object of the event against one level of the pattern.
func (n *node) match(obj map[string]any) bool {
	for key, sub := range n.fields {
		if !sub.matchValue(obj[key]) {
			return false
		}
	}
	for key, ms := range n.leaves {
		v, has := obj[key]
		values := leafValues(v, has)
		matched := false
		for _, m := range ms {
			if m.match(len(values) > 0, values) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	for _, alts := range n.or {
		matched := false
		for _, a := range alts {
			if a.match(obj) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// matchValue matches a nested pattern against a field's value: an object, or an array one of whose elements
// (arrays crushed) matches as a whole.
func (n *node) matchValue(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return n.match(x)
	case []any:
		for _, e := range x {
			if n.matchValue(e) {
				return true
			}
		}
		return false
	}
	// Absent, or not an object: the nested fields are all absent.
	return n.match(map[string]any{})
}

// leafValues lists the leaf values of a field: its value, or the values of its array (arrays crushed); objects
// are not leaf values.
func leafValues(v any, has bool) []any {
	if !has {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		return nil
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, leafValues(e, true)...)
		}
		return out
	}
	return []any{v}
}
