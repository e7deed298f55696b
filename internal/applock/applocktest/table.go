// Package applocktest is the lock table for tests: an in-memory DynamoDB table that answers GetItem, Scan (in
// pages), PutItem, UpdateItem and DeleteItem as DynamoDB does for the expressions the deployer writes — conditions judged before
// any change (a failed one is ConditionalCheckFailedException, with the item when ALL_OLD is asked, and changes
// nothing), reserved words refused unless named through a placeholder, unused or undefined placeholders refused
// (ValidationException, as DynamoDB answers). An expression outside the grammar it knows is a ValidationException
// naming the fake, so a test fails rather than passing on an expression DynamoDB was never shown to accept.
package applocktest

import (
	"context"
	_ "embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
)

// Item is one stored item.
type Item = map[string]ddbtypes.AttributeValue

// Table is an in-memory lock table keyed by applock.AttrApp. It is safe for concurrent use.
type Table struct {
	// Name is the table's name; a call naming another table is ResourceNotFoundException.
	Name string
	// Err, when set, fails every call (before anything is read or written).
	Err error
	// BeforeWrite, when set, runs before each write is judged (to lose a race), without the table's mutex held.
	BeforeWrite func(*Table)
	// PageSize is how many items a Scan page holds at most (DefaultPageSize when 0).
	PageSize int

	mu     sync.Mutex
	items  map[string]Item
	writes int
	calls  []string
	// eventual counts the reads that were not strongly consistent.
	eventual int
}

// New returns an empty table called name.
func New(name string) *Table { return &Table{Name: name, items: map[string]Item{}} }

// Put stores an item as it is (set-up; not counted as a write).
func (t *Table) Put(it Item) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.items[key(it)] = maps.Clone(it)
}

// Remove deletes app's item (set-up; not counted as a write).
func (t *Table) Remove(app string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.items, app)
}

// Get returns a copy of app's item; nil when absent.
func (t *Table) Get(app string) Item {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.items[app])
}

// Writes counts the writes that changed the table.
func (t *Table) Writes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writes
}

// Calls lists the operations called, in order ("GetItem", "UpdateItem", ...).
func (t *Table) Calls() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.calls)
}

// EventualReads counts the GetItems that did not ask for a strongly consistent read.
func (t *Table) EventualReads() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.eventual
}

// S returns a string attribute of an item ("" when absent).
func S(it Item, attr string) string {
	if v, ok := it[attr].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// N returns a number attribute of an item ("" when absent).
func N(it Item, attr string) string {
	if v, ok := it[attr].(*ddbtypes.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

func key(it Item) string { return S(it, applock.AttrApp) }

func (t *Table) begin(op string, table *string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, op)
	if t.Err != nil {
		return t.Err
	}
	if aws.ToString(table) != t.Name {
		return &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	return nil
}

func (t *Table) beforeWrite() {
	if t.BeforeWrite != nil {
		t.BeforeWrite(t)
	}
}

// GetItem answers as DynamoDB does: no item is an empty output; a ProjectionExpression selects attributes.
func (t *Table) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if err := t.begin("GetItem", in.TableName); err != nil {
		return nil, err
	}
	project, err := readExpr(in.ExpressionAttributeNames, aws.ToString(in.ProjectionExpression))
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !aws.ToBool(in.ConsistentRead) {
		t.eventual++
	}
	it, ok := t.items[key(in.Key)]
	if !ok {
		return &dynamodb.GetItemOutput{}, nil
	}
	return &dynamodb.GetItemOutput{Item: project(it)}, nil
}

// Scan answers as DynamoDB does ("Scanning tables in DynamoDB", Developer Guide): a page holds at most Limit items,
// and at most PageSize (DynamoDB stops a page at 1 MB of data read; here, for tests, at a few items); a page cut
// short by either carries LastEvaluatedKey, the key of its last item, even when no item follows (the next page is
// then empty), and ExclusiveStartKey resumes after it. Items come in key order here (DynamoDB's order is its own).
// A ProjectionExpression selects attributes. Filters and parallel segments are outside what the fake knows.
func (t *Table) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if err := t.begin("Scan", in.TableName); err != nil {
		return nil, err
	}
	if in.FilterExpression != nil || in.ScanFilter != nil || in.Segment != nil || in.TotalSegments != nil || in.AttributesToGet != nil {
		return nil, validation("fake lock table: Scan with a filter, segments or AttributesToGet is outside what it knows")
	}
	if in.Limit != nil && *in.Limit < 1 {
		return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
	}
	project, err := readExpr(in.ExpressionAttributeNames, aws.ToString(in.ProjectionExpression))
	if err != nil {
		return nil, err
	}
	after := ""
	if in.ExclusiveStartKey != nil {
		if len(in.ExclusiveStartKey) != 1 || key(in.ExclusiveStartKey) == "" {
			return nil, validation("The provided starting key is invalid: The provided key element does not match the schema")
		}
		after = key(in.ExclusiveStartKey)
	}
	size := t.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	if in.Limit != nil && int(*in.Limit) < size {
		size = int(*in.Limit)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !aws.ToBool(in.ConsistentRead) {
		t.eventual++
	}
	keys := slices.Sorted(maps.Keys(t.items))
	out := &dynamodb.ScanOutput{}
	for _, k := range keys {
		if k <= after {
			continue
		}
		if int(out.Count) == size {
			break
		}
		out.Items = append(out.Items, project(t.items[k]))
		out.Count++
		if int(out.Count) == size {
			out.LastEvaluatedKey = map[string]ddbtypes.AttributeValue{applock.AttrApp: &ddbtypes.AttributeValueMemberS{Value: k}}
		}
	}
	out.ScannedCount = out.Count
	return out, nil
}

// DefaultPageSize is how many items a Scan page holds at most when PageSize is 0.
const DefaultPageSize = 3

// write is one conditional write: the request's expressions judged (update, when not empty), then, under the
// table's mutex, its condition against the stored item, then change (which returns the item to store, nil to delete).
type write struct {
	op, table, key    string
	names             map[string]string
	values            map[string]ddbtypes.AttributeValue
	condition, update string
	ret               ddbtypes.ReturnValuesOnConditionCheckFailure
	change            func(old Item, exists bool, apply func(Item)) Item
}

func (t *Table) write(w write) error {
	if err := t.begin(w.op, &w.table); err != nil {
		return err
	}
	if w.key == "" {
		return validation("One or more parameter values were invalid: Missing the key %s in the item", applock.AttrApp)
	}
	t.beforeWrite()
	e := newExpr(w.names, w.values)
	cond, err := e.condition(w.condition)
	if err != nil {
		return err
	}
	apply := func(Item) {}
	if w.update != "" || w.op == "UpdateItem" {
		if apply, err = e.update(w.update); err != nil {
			return err
		}
	}
	if err := e.unused(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.items[w.key]
	if !cond(old, ok) {
		return conditionFailed(old, w.ret)
	}
	it := w.change(old, ok, apply)
	switch {
	case it != nil:
		t.items[w.key] = it
	case ok:
		delete(t.items, w.key)
	default:
		return nil // deleting an absent item changes nothing
	}
	t.writes++
	return nil
}

// PutItem stores an item when its condition holds.
func (t *Table) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	err := t.write(write{op: "PutItem", table: aws.ToString(in.TableName), key: key(in.Item), names: in.ExpressionAttributeNames,
		values: in.ExpressionAttributeValues, condition: aws.ToString(in.ConditionExpression), ret: in.ReturnValuesOnConditionCheckFailure,
		change: func(Item, bool, func(Item)) Item { return maps.Clone(in.Item) }})
	if err != nil {
		return nil, err
	}
	return &dynamodb.PutItemOutput{}, nil
}

// UpdateItem applies SET and REMOVE clauses when the condition holds; an absent item is created from the key.
func (t *Table) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	err := t.write(write{op: "UpdateItem", table: aws.ToString(in.TableName), key: key(in.Key), names: in.ExpressionAttributeNames,
		values: in.ExpressionAttributeValues, condition: aws.ToString(in.ConditionExpression), update: aws.ToString(in.UpdateExpression),
		ret: in.ReturnValuesOnConditionCheckFailure,
		change: func(old Item, exists bool, apply func(Item)) Item {
			it := maps.Clone(old)
			if !exists {
				it = maps.Clone(in.Key)
			}
			apply(it)
			return it
		}})
	if err != nil {
		return nil, err
	}
	return &dynamodb.UpdateItemOutput{}, nil
}

// DeleteItem deletes an item when the condition holds (deleting an absent item succeeds, as in DynamoDB).
func (t *Table) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	err := t.write(write{op: "DeleteItem", table: aws.ToString(in.TableName), key: key(in.Key), names: in.ExpressionAttributeNames,
		values: in.ExpressionAttributeValues, condition: aws.ToString(in.ConditionExpression), ret: in.ReturnValuesOnConditionCheckFailure,
		change: func(Item, bool, func(Item)) Item { return nil }})
	if err != nil {
		return nil, err
	}
	return &dynamodb.DeleteItemOutput{}, nil
}

func conditionFailed(old Item, ret ddbtypes.ReturnValuesOnConditionCheckFailure) error {
	err := &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	if ret == ddbtypes.ReturnValuesOnConditionCheckFailureAllOld && old != nil {
		err.Item = maps.Clone(old)
	}
	return err
}

func validation(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "ValidationException", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

//go:embed reserved.txt
var reservedList string

var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(reservedList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToUpper(l)] = true
		}
	}
	return m
}()

// Reserved reports whether DynamoDB reserves word (case-insensitively) in expressions.
func Reserved(word string) bool { return reserved[strings.ToUpper(word)] }

// expr resolves one request's placeholders and tracks which were used.
type expr struct {
	names      map[string]string
	values     map[string]ddbtypes.AttributeValue
	usedNames  map[string]bool
	usedValues map[string]bool
}

func newExpr(names map[string]string, values map[string]ddbtypes.AttributeValue) *expr {
	return &expr{names: names, values: values, usedNames: map[string]bool{}, usedValues: map[string]bool{}}
}

var bareName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// path resolves an attribute name (top-level only, as the lock item has no nested attributes).
func (e *expr) path(kind, p string) (string, error) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, "#") {
		n, ok := e.names[p]
		if !ok {
			return "", validation("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", kind, p)
		}
		e.usedNames[p] = true
		return n, nil
	}
	if !bareName.MatchString(p) {
		return "", validation("fake lock table: %s: %q is not an attribute name it knows", kind, p)
	}
	if Reserved(p) {
		return "", validation("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", kind, p)
	}
	return p, nil
}

func (e *expr) value(kind, v string) (ddbtypes.AttributeValue, error) {
	v = strings.TrimSpace(v)
	av, ok := e.values[v]
	if !strings.HasPrefix(v, ":") || !ok {
		return nil, validation("Invalid %s: An expression attribute value used in expression is not defined; attribute value: %s", kind, v)
	}
	e.usedValues[v] = true
	return av, nil
}

// readExpr compiles a read's ProjectionExpression with its names, refusing unused ones.
func readExpr(names map[string]string, projection string) (func(Item) Item, error) {
	e := newExpr(names, nil)
	project, err := e.projection(projection)
	if err != nil {
		return nil, err
	}
	return project, e.unused()
}

// projection compiles a ProjectionExpression (top-level names, comma-separated) into a function returning a copy
// of an item with those attributes only; an empty expression keeps every attribute.
func (e *expr) projection(p string) (func(Item) Item, error) {
	var attrs []string
	if p != "" {
		for _, part := range strings.Split(p, ",") {
			a, err := e.path("ProjectionExpression", part)
			if err != nil {
				return nil, err
			}
			attrs = append(attrs, a)
		}
	}
	return func(it Item) Item {
		it = maps.Clone(it)
		if attrs != nil {
			maps.DeleteFunc(it, func(k string, _ ddbtypes.AttributeValue) bool { return !slices.Contains(attrs, k) })
		}
		return it
	}, nil
}

// unused refuses placeholders the expressions did not use, as DynamoDB does.
func (e *expr) unused() error {
	var names, values []string
	for n := range e.names {
		if !e.usedNames[n] {
			names = append(names, n)
		}
	}
	for v := range e.values {
		if !e.usedValues[v] {
			values = append(values, v)
		}
	}
	sort.Strings(names)
	sort.Strings(values)
	if len(values) > 0 {
		return validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(values, ", "))
	}
	if len(names) > 0 {
		return validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(names, ", "))
	}
	return nil
}

var (
	existsRE  = regexp.MustCompile(`^(attribute_exists|attribute_not_exists)\(\s*([^)]+?)\s*\)$`)
	compareRE = regexp.MustCompile(`^(\S+)\s*=\s*(:\S+)$`)
)

// condition compiles a condition: terms joined by AND, each attribute_exists(a), attribute_not_exists(a) or
// a = :v (string or number equality). An empty condition always holds.
func (e *expr) condition(c string) (func(Item, bool) bool, error) {
	const kind = "ConditionExpression"
	if strings.TrimSpace(c) == "" {
		return func(Item, bool) bool { return true }, nil
	}
	var terms []func(Item) bool
	for _, term := range regexp.MustCompile(`(?i)\s+AND\s+`).Split(strings.TrimSpace(c), -1) {
		if m := existsRE.FindStringSubmatch(term); m != nil {
			attr, err := e.path(kind, m[2])
			if err != nil {
				return nil, err
			}
			want := m[1] == "attribute_exists"
			terms = append(terms, func(it Item) bool { _, has := it[attr]; return has == want })
			continue
		}
		if m := compareRE.FindStringSubmatch(term); m != nil {
			attr, err := e.path(kind, m[1])
			if err != nil {
				return nil, err
			}
			v, err := e.value(kind, m[2])
			if err != nil {
				return nil, err
			}
			terms = append(terms, func(it Item) bool { return equal(it[attr], v) })
			continue
		}
		return nil, validation("fake lock table: %s: term %q is outside the grammar it knows", kind, term)
	}
	return func(it Item, _ bool) bool {
		for _, t := range terms {
			if !t(it) {
				return false
			}
		}
		return true
	}, nil
}

func equal(a, b ddbtypes.AttributeValue) bool {
	switch a := a.(type) {
	case *ddbtypes.AttributeValueMemberS:
		b, ok := b.(*ddbtypes.AttributeValueMemberS)
		return ok && a.Value == b.Value
	case *ddbtypes.AttributeValueMemberN:
		b, ok := b.(*ddbtypes.AttributeValueMemberN)
		return ok && a.Value == b.Value
	}
	return false
}

var (
	clauseRE      = regexp.MustCompile(`\b(SET|REMOVE)\b`)
	ifNotExistsRE = regexp.MustCompile(`^if_not_exists\(\s*([^,]+?)\s*,\s*(:\S+)\s*\)$`)
)

// update compiles an update expression: a SET clause (a = :v, a = if_not_exists(a, :v)) and a REMOVE clause
// (a, b), each at most once. The key cannot be changed.
func (e *expr) update(u string) (func(Item), error) {
	const kind = "UpdateExpression"
	bounds := clauseRE.FindAllStringIndex(u, -1)
	if len(bounds) == 0 || strings.TrimSpace(u[:bounds[0][0]]) != "" {
		return nil, validation("Invalid %s: Syntax error; token: %q", kind, u)
	}
	var steps []func(Item)
	seen := map[string]bool{}
	touched := map[string]bool{}
	for i, b := range bounds {
		end := len(u)
		if i+1 < len(bounds) {
			end = bounds[i+1][0]
		}
		clause := u[b[0]:b[1]]
		if seen[clause] {
			return nil, validation("Invalid %s: The \"%s\" section can only be used once in an update expression", kind, clause)
		}
		seen[clause] = true
		for _, part := range splitTop(u[b[1]:end]) {
			var attr string
			var step func(Item)
			if clause == "REMOVE" {
				a, err := e.path(kind, part)
				if err != nil {
					return nil, err
				}
				attr, step = a, func(it Item) { delete(it, a) }
			} else {
				lhs, rhs, ok := strings.Cut(part, "=")
				if !ok {
					return nil, validation("Invalid %s: Syntax error; token: %q", kind, part)
				}
				a, err := e.path(kind, lhs)
				if err != nil {
					return nil, err
				}
				attr = a
				rhs = strings.TrimSpace(rhs)
				if m := ifNotExistsRE.FindStringSubmatch(rhs); m != nil {
					src, err := e.path(kind, m[1])
					if err != nil {
						return nil, err
					}
					v, err := e.value(kind, m[2])
					if err != nil {
						return nil, err
					}
					step = func(it Item) {
						if cur, has := it[src]; has {
							it[a] = cur
						} else {
							it[a] = v
						}
					}
				} else {
					v, err := e.value(kind, rhs)
					if err != nil {
						return nil, err
					}
					step = func(it Item) { it[a] = v }
				}
			}
			if attr == applock.AttrApp {
				return nil, validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", attr)
			}
			if touched[attr] {
				return nil, validation("Invalid %s: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", kind, attr, attr)
			}
			touched[attr] = true
			steps = append(steps, step)
		}
	}
	return func(it Item) {
		for _, s := range steps {
			s(it)
		}
	}, nil
}

// splitTop splits a clause's actions at the commas outside parentheses.
func splitTop(clause string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range clause {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, clause[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, clause[start:])
}
