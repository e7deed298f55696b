// Package exactjson decodes untrusted JSON into Go values with keys matched exactly: every key of an object decoded
// into a struct must be one of the struct's JSON field names, spelt exactly (encoding/json alone also accepts other
// letter cases and Unicode folds, so "Host" or "ho\u017ft" would set Host), no object may repeat a key
// (encoding/json keeps the last one, a second reader may keep the first), and, unless allowed, no key may be unknown.
// Maps keep their keys as given. Every problem is reported at once, each with its path.
//
// Where a key's spelling is a security decision — an execution's input, its configuration overrides, an app's
// stored configuration, an event a trigger passes — the deployer decodes with this package alone.
package exactjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Options say how strict a decode is.
type Options struct {
	// AllowUnknown accepts keys no field names (AWS events carry many fields the deployer does not read). Keys that
	// differ from a field's name only by case or folding are still refused: they would set that field.
	AllowUnknown bool
	// Patch checks a JSON merge patch (RFC 7386) of the type instead of a value: null is accepted at every level
	// (it deletes the field). Patch only checks; Decode of a patch is not meaningful.
	Patch bool
	// What names the document in a problem with the whole of it ("the execution input must be a JSON object");
	// default "the document".
	What string
}

// Problem is one thing wrong with a document, at a path such as `config.health.path` or `steps[2]`.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error lists every problem of a document.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// Decode checks data against v's type and decodes it into v. The document must be one JSON value; an object is
// required where v is a struct (the top level included).
func Decode(data []byte, v any, o Options) error {
	if err := Check(data, reflect.TypeOf(v).Elem(), o); err != nil {
		return err
	}
	if o.Patch {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		// Check has seen every key and kind; what is left is a value out of its type's range (a number too large).
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &Error{Problems: []Problem{{Path: te.Field, Message: "must be " + kindName(te.Type)}}}
		}
		return &Error{Problems: []Problem{{Message: (&checker{o: o}).what() + " is not valid JSON"}}}
	}
	return nil
}

// Check reports every problem of data as a value of type t (or, with o.Patch, as a merge patch of it).
func Check(data []byte, t reflect.Type, o Options) error {
	c := checker{o: o}
	root, err := parse(data)
	if err != nil {
		return &Error{Problems: []Problem{{Message: c.what() + " " + err.Error()}}}
	}
	c.value(root, t, "")
	if len(c.problems) > 0 {
		return &Error{Problems: c.problems}
	}
	return nil
}

// node is a parsed JSON value that keeps an object's keys in order, duplicates included.
type node struct {
	kind    byte // '{', '[', 's' (string), 'n' (number), 'b' (bool), '0' (null)
	keys    []string
	members []*node // an object's values (in keys' order) or an array's items
	num     json.Number
}

var errNotJSON = errors.New("is not valid JSON")

// maxDepth bounds nesting, as encoding/json does (it allows 10,000): far more than any configuration needs.
const maxDepth = 64

func parse(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("has more after its JSON value")
	}
	return n, nil
}

func parseValue(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("is nested more than %d levels deep", maxDepth)
	}
	tok, err := dec.Token()
	if err == io.EOF && depth == 0 {
		return nil, errors.New("is empty")
	}
	if err != nil {
		return nil, errNotJSON
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(t)}
		if t != '{' && t != '[' {
			return nil, errNotJSON
		}
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return nil, errNotJSON
				}
				n.keys = append(n.keys, k.(string))
			}
			m, err := parseValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, m)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, errNotJSON
		}
		return n, nil
	case string:
		return &node{kind: 's'}, nil
	case json.Number:
		return &node{kind: 'n', num: t}, nil
	case bool:
		return &node{kind: 'b'}, nil
	default:
		return &node{kind: '0'}, nil
	}
}

type checker struct {
	o        Options
	problems []Problem
}

func (c *checker) what() string {
	if c.o.What == "" {
		return "the document"
	}
	return c.o.What
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

var rawMessage = reflect.TypeOf(json.RawMessage(nil))

func (c *checker) value(n *node, t reflect.Type, path string) {
	if n.kind == '0' {
		if c.o.Patch || t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Interface {
			return
		}
		if path == "" {
			c.add(path, "%s must be a JSON object, not null", c.what())
			return
		}
		c.add(path, "must be %s, not null", kindName(t))
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessage || t.Kind() == reflect.Interface {
		return // checked where it is decoded
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.kind != '{' {
			if path == "" {
				c.add(path, "%s must be a JSON object", c.what())
				return
			}
			c.add(path, "must be an object")
			return
		}
		c.object(n, t, path)
	case reflect.Map:
		if n.kind != '{' {
			c.add(path, "must be an object")
			return
		}
		seen := map[string]bool{}
		for i, k := range n.keys {
			p := join(path, k)
			if seen[k] {
				c.add(p, "appears more than once")
				continue
			}
			seen[k] = true
			c.value(n.members[i], t.Elem(), p)
		}
	case reflect.Slice, reflect.Array:
		if n.kind != '[' {
			c.add(path, "must be a list")
			return
		}
		for i, m := range n.members {
			c.value(m, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.String:
		if n.kind != 's' {
			c.add(path, "must be a string")
		}
	case reflect.Bool:
		if n.kind != 'b' {
			c.add(path, "must be true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.kind != 'n' {
			c.add(path, "must be a whole number")
		} else if _, err := strconv.ParseInt(n.num.String(), 10, t.Bits()); err != nil {
			c.add(path, "must be a whole number (got %s)", n.num)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != 'n' {
			c.add(path, "must be a whole number")
		} else if _, err := strconv.ParseUint(n.num.String(), 10, t.Bits()); err != nil {
			c.add(path, "must be a whole number of 0 or more (got %s)", n.num)
		}
	case reflect.Float32, reflect.Float64:
		if n.kind != 'n' {
			c.add(path, "must be a number")
		}
	}
}

func (c *checker) object(n *node, t reflect.Type, path string) {
	fields := Fields(t)
	seen := map[string]bool{}
	for i, k := range n.keys {
		p := join(path, k)
		if seen[k] {
			c.add(p, "appears more than once")
			continue
		}
		seen[k] = true
		ft, ok := fields[k]
		switch {
		case ok:
			c.value(n.members[i], ft, p)
		case folded(fields, k) != "":
			c.add(p, "is not a field: keys must be spelt exactly as %q", folded(fields, k))
		case !c.o.AllowUnknown:
			c.add(p, "is not a field (known: %s)", strings.Join(sortedKeys(fields), ", "))
		}
	}
}

// Fields returns a struct type's JSON field names and their types, as encoding/json sees them (embedded structs'
// fields promoted, "-" skipped, unexported fields skipped).
func Fields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range Fields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// folded returns the field name encoding/json would match key to although it differs (it compares keys as
// bytes.EqualFold does: case-insensitively with Unicode simple folding, so U+017F LATIN SMALL LETTER LONG S
// matches s and U+212A KELVIN SIGN matches k), or "".
func folded(fields map[string]reflect.Type, key string) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return name
		}
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	default:
		return "a whole number"
	}
}
