package deploy_test

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/createstack"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/healthcheck"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/rollback"
	"github.com/bluegreen-aws/bluegreen/internal/shiftweight"
	"github.com/bluegreen-aws/bluegreen/internal/switchover"
)

// eventsDir holds the documented execution inputs (input/), the request every Lambda receives at each operation
// (lambda/<function>-<op>.json) and the EventBridge events the triggers transform (eventbridge-*.json).
const eventsDir = "../../events"

// TestEvents is the golden test of events/: every file is covered by exactly one rule, decodes strictly into its
// type and re-encodes without loss.
func TestEvents(t *testing.T) {
	rules := []struct {
		match func(rel string) bool
		check func(t *testing.T, rel string, data []byte)
	}{
		{func(rel string) bool { return inDir(rel, "input") }, checkInput},
		{func(rel string) bool { return inDir(rel, "lambda") }, checkLambdaRequest},
		{func(rel string) bool { return inDir(rel, "config") }, checkStoredConfig},
		{func(rel string) bool {
			return !strings.Contains(rel, "/") && strings.HasPrefix(rel, "eventbridge-") && strings.HasSuffix(rel, ".json")
		}, checkEventBridge},
	}
	matched := make([]int, len(rules))
	err := filepath.WalkDir(eventsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(eventsDir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		t.Run(rel, func(t *testing.T) {
			for i, r := range rules {
				if r.match(rel) {
					matched[i]++
					r.check(t, rel, data)
					return
				}
			}
			t.Errorf("events/%s is covered by no rule of this test: put execution inputs in events/input/, Lambda requests in events/lambda/<function>-<op>.json, EventBridge events in events/eventbridge-*.json", rel)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range matched {
		if n == 0 {
			t.Errorf("rule %d matched no file: the events are not where this test looks", i)
		}
	}
}

func inDir(rel, dir string) bool {
	d, file := filepath.Split(rel)
	return d == dir+"/" && strings.HasSuffix(file, ".json")
}

// checkInput: an execution input decodes strictly, re-encodes without loss, and validates once the release is
// derived from its event, if it has one (a trigger's input: the event must then be one of the sample events,
// embedded whole, as the rule's <aws.events.event.json> inserts it).
func checkInput(t *testing.T, _ string, data []byte) {
	in, err := deploy.DecodeInput(data)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, in, data)
	if len(in.Event) > 0 {
		checkEmbeddedSample(t, in.Event)
	}
	if err := deploy.ReleaseFromEvent(&in); err != nil {
		t.Errorf("no release can be derived from its event: %v", err)
	}
	if err := deploy.ValidateInput(in); err != nil {
		t.Errorf("a documented input does not validate: %v", err)
	}
	if len(in.Config) > 0 {
		if _, err := deploy.MergeConfig(nil, in.Config); err != nil {
			t.Errorf("its config overrides are not a configuration: %v", err)
		}
	}
}

// checkEmbeddedSample checks that an input's event is one of events/eventbridge-*.json, whole.
func checkEmbeddedSample(t *testing.T, event []byte) {
	t.Helper()
	samples, err := filepath.Glob(filepath.Join(eventsDir, "eventbridge-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(event, &got); err != nil {
		t.Fatal(err)
	}
	for _, f := range samples {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if cmp.Equal(got, want) {
			return
		}
	}
	t.Errorf("its event is none of the sample events %v: keep the trigger inputs and the samples in step", samples)
}

// checkStoredConfig: an app's stored configuration decodes with exact keys, resolves and validates for the app its
// file is named after, and every documented input validates against it.
func checkStoredConfig(t *testing.T, rel string, data []byte) {
	app := strings.TrimSuffix(filepath.Base(rel), ".json")
	if _, err := deploy.ResolveConfig(app, data); err != nil {
		t.Fatalf("stored configuration of %s: %v", app, err)
	}
	inputs, _ := filepath.Glob(filepath.Join(eventsDir, "input", "*.json"))
	for _, f := range inputs {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in, err := deploy.CheckInput(body)
		if err != nil || in.App != app || in.Action == deploy.ActionReconcile {
			continue
		}
		if _, err := deploy.ResolveConfig(app, data, in.Config); err != nil {
			t.Errorf("%s with %s: %v", filepath.Base(f), rel, err)
		}
	}
}

// checkLambdaRequest: a request decodes strictly into deploy.Request, names an operation its function has, and
// re-encodes without loss; its plan, configuration and input are consistent.
func checkLambdaRequest(t *testing.T, rel string, data []byte) {
	fn, op, ok := strings.Cut(strings.TrimSuffix(filepath.Base(rel), ".json"), "-")
	ops, known := functionOps()[fn]
	if !ok || !known {
		t.Fatalf("%s: the file name must be <function>-<op>.json, function one of %v", rel, slices.Sorted(mapKeys(functionOps())))
	}
	if !slices.Contains(ops, op) {
		t.Errorf("function %s has no operation %q (it has %v)", fn, op, ops)
	}
	var req deploy.Request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing data after the request (%v)", err)
	}
	if req.Op != op {
		t.Errorf("op = %q, but the file is named for %q", req.Op, op)
	}
	if (req.Token != "") != (op == "approval") {
		t.Errorf("token %q: only the approval operation carries a task token", req.Token)
	}
	s := req.State
	if err := deploy.ValidateInput(s.Input); err != nil && op != "prepare" {
		t.Errorf("state.input does not validate: %v", err)
	}
	if s.Config != nil {
		if s.App == nil {
			t.Errorf("state has a configuration but no app")
		} else if err := s.Config.Validate(s.App.Name); err != nil {
			t.Errorf("state.config does not validate: %v", err)
		}
	}
	if s.PlanJSON != "" {
		p, err := deploy.DecodePlan(s.PlanJSON)
		if err != nil {
			t.Errorf("planJson: %v", err)
		} else if diff := cmp.Diff(p, s.Plan); diff != "" {
			t.Errorf("planJson and plan differ (-planJson +plan):\n%s", diff)
		}
	}
	sameJSON(t, req, data)
}

// checkEventBridge: an EventBridge event is a JSON object (the infra's tests check the input transformers on it).
func checkEventBridge(t *testing.T, _ string, data []byte) {
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	for _, k := range []string{"source", "detail-type", "detail"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("EventBridge event has no %q", k)
		}
	}
}

// sameJSON checks that v encodes to the same JSON value as data, null and absent being the same.
func sameJSON(t *testing.T, v any, data []byte) {
	t.Helper()
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dropNulls(got), dropNulls(want)); diff != "" {
		t.Errorf("re-encoding loses or adds data (-re-encoded +file):\n%s", diff)
	}
}

// dropNulls removes object members whose value is null, at every depth.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e != nil {
				out[k] = dropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropNulls(e)
		}
		return out
	}
	return v
}

// functionOps lists each Lambda's operations, as its handler declares them.
func functionOps() map[string][]string {
	fns := []*invoke.Function{
		createstack.New(createstack.Deps{}).Function(nil),
		healthcheck.New(nil, nil, false).Function(nil),
		shiftweight.New(nil, applock.New(nil, "")).Function(nil),
		switchover.New(nil, applock.New(nil, "")).Function(nil),
		rollback.New(nil, nil, nil).Function(nil),
	}
	out := map[string][]string{}
	for _, f := range fns {
		out[f.Name] = slices.Sorted(mapKeys(f.Ops))
	}
	return out
}

func mapKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
