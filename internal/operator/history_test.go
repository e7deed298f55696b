package operator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

func TestHistory(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	// run adds an execution of an app; apps "demoapp2" and "shop" share the state machine, and "demoapp2"'s names
	// begin with "demoapp".
	add := func(f *stepFunctions, app string, i int, status, errName, cause, output string) {
		f.executions = append(f.executions, &execution{
			name: fmt.Sprintf("%s-deploy-v%d-20261201T10%04d-000", app, i, i), status: status, errName: errName, cause: cause, output: output,
			input: fmt.Sprintf(`{"app":%q,"version":"v%d","source":"cli"}`, app, i), start: at.Add(time.Duration(i) * time.Minute),
			stop: at.Add(time.Duration(i)*time.Minute + 90*time.Second),
		})
	}
	t.Run("filtered by name, newest first, one describe a row", func(t *testing.T) {
		o, f := newOperator(locks{})
		for i := range 20 {
			add(f, []string{"demoapp", "demoapp2", "shop"}[i%3], i, "SUCCEEDED", "", "", `{"result":"deployed"}`)
		}
		runs, complete, err := o.History(context.Background(), "demoapp", 3)
		if err != nil || !complete {
			t.Fatalf("History = %v, complete %v", err, complete)
		}
		var names []string
		for _, r := range runs {
			names = append(names, r.Name)
		}
		want := []string{"demoapp-deploy-v18-20261201T100018-000", "demoapp-deploy-v15-20261201T100015-000", "demoapp-deploy-v12-20261201T100012-000"}
		if diff := cmp.Diff(names, want); diff != "" {
			t.Errorf("runs (-got +want):\n%s", diff)
		}
		if f.calls["DescribeExecution"] != 3 || f.calls["ListExecutions"] != 1 {
			t.Errorf("%d DescribeExecution and %d ListExecutions calls, want 3 and 1", f.calls["DescribeExecution"], f.calls["ListExecutions"])
		}
		r := runs[0]
		if r.Input == nil || r.Input.Version != "v18" || r.Input.Source != "cli" || r.Outcome != operator.OutcomeDeployed || r.Stopped.Sub(r.Started) != 90*time.Second {
			t.Errorf("run %+v, input %+v", r, r.Input)
		}
	})
	t.Run("at most HistoryPages pages", func(t *testing.T) {
		o, f := newOperator(locks{})
		add(f, "demoapp", 0, "SUCCEEDED", "", "", "")
		for i := 1; i <= 100*operator.HistoryPages; i++ {
			add(f, "shop", i, "SUCCEEDED", "", "", "")
		}
		runs, complete, err := o.History(context.Background(), "demoapp", 10)
		if err != nil || complete || len(runs) != 0 || f.calls["ListExecutions"] != operator.HistoryPages {
			t.Errorf("History = %d runs, complete %v, %v after %d ListExecutions; want none, incomplete, after %d", len(runs), complete, err, f.calls["ListExecutions"], operator.HistoryPages)
		}
	})
}

func TestOutcomeAndReason(t *testing.T) {
	rolledBack := (&deploy.State{Plan: &deploy.Plan{Live: &deploy.Slot{Color: "blue", Stack: "demoapp-111111", Version: "v1"}}}).RollbackCause("stack demoapp-222222 failed its health check: status 500; evidence: {}")
	tests := []struct {
		name        string
		r           operator.Result
		wantOutcome string
		wantReason  string
	}{
		{name: "running", r: operator.Result{Status: "RUNNING"}, wantOutcome: "running"},
		{name: "deployed", r: operator.Result{Status: "SUCCEEDED", Output: &deploy.State{Result: deploy.ResultDeployed}}, wantOutcome: "deployed"},
		{name: "deployed with warnings", r: operator.Result{Status: "SUCCEEDED", Output: &deploy.State{Result: deploy.ResultDeployed, Warnings: []string{"stack x is left"}}},
			wantOutcome: "deployed", wantReason: "1 warning(s): stack x is left"},
		{name: "manual rollback", r: operator.Result{Status: "SUCCEEDED", Output: &deploy.State{Result: deploy.ResultRolledBack}}, wantOutcome: "rolled back"},
		{name: "reconciled", r: operator.Result{Status: "SUCCEEDED", Output: &deploy.State{Result: deploy.ResultReconciled}}, wantOutcome: "reconciled"},
		{name: "repaired", r: operator.Result{Status: "SUCCEEDED", Output: &deploy.State{Result: deploy.ResultRepaired}}, wantOutcome: "repaired"},
		{name: "rolled back", r: operator.Result{Status: "FAILED", Error: "HealthCheckError", Cause: rolledBack}, wantOutcome: "rolled back",
			wantReason: "HealthCheckError: rolled back before any traffic, v1 still live on blue stack demoapp-111111: stack demoapp-222222 failed its health check: status 500"},
		{name: "refused", r: operator.Result{Status: "FAILED", Error: "StateInconsistentError", Cause: `{"errorMessage":"records of app demoapp are inconsistent: x"}`},
			wantOutcome: "failed", wantReason: "StateInconsistentError: records of app demoapp are inconsistent: x"},
		{name: "locked", r: operator.Result{Status: "FAILED", Error: "LockHeldError", Cause: "app demoapp is locked by running execution y"}, wantOutcome: "locked",
			wantReason: "LockHeldError: app demoapp is locked by running execution y"},
		{name: "reconcile required", r: operator.Result{Status: "FAILED", Error: "ReconcileRequiredError", Cause: "z"}, wantOutcome: "locked", wantReason: "ReconcileRequiredError: z"},
		{name: "invalid", r: operator.Result{Status: "FAILED", Error: "ValidationError", Cause: "steps must increase"}, wantOutcome: "invalid", wantReason: "ValidationError: steps must increase"},
		{name: "dirty", r: operator.Result{Status: "FAILED", Error: "RollbackFailed", Cause: "check"}, wantOutcome: "ROLLBACK FAILED", wantReason: "RollbackFailed: check"},
		{name: "stopped", r: operator.Result{Status: "ABORTED"}, wantOutcome: "stopped"},
		{name: "timed out", r: operator.Result{Status: "TIMED_OUT"}, wantOutcome: "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := operator.Outcome(tt.r); got != tt.wantOutcome {
				t.Errorf("Outcome = %q, want %q", got, tt.wantOutcome)
			}
			if got := operator.Reason(tt.r); got != tt.wantReason {
				t.Errorf("Reason = %q, want %q", got, tt.wantReason)
			}
		})
	}
}

// A reconcile's input need not name its app: it is named after the app of the run it reconciles, so that the
// app's history lists it.
func TestStartNamesAReconcileAfterItsApp(t *testing.T) {
	o, f := newOperator(locks{})
	stopped := &execution{name: "demoapp-deploy-v2-20261201T100000-000", status: "ABORTED", input: `{"app":"demoapp","version":"v2"}`}
	f.executions = append(f.executions, stopped)
	if _, err := o.Start(context.Background(), deploy.Input{Action: deploy.ActionReconcile, Execution: stopped.arn()}); err != nil {
		t.Fatal(err)
	}
	in, err := deploy.DecodeInput([]byte(*f.started[0].Input))
	if name := *f.started[0].Name; err != nil || !strings.HasPrefix(name, "demoapp-reconcile-") || in.App != "" {
		t.Errorf("started %s with input %+v (%v), want a name of app demoapp and the input as given", name, in, err)
	}
}

func TestLiveIsTheColorHoldingTheTraffic(t *testing.T) {
	weighted := func(c records.Color, w int64) records.Record {
		return records.Record{Name: "demoapp.example.com", Type: "A", SetIdentifier: "demoapp-" + string(c), Weight: records.Weight(w)}
	}
	tests := []struct {
		name      string
		active    records.Color
		blue      *int64
		green     *int64
		want      records.Color
		wantShare int // green's
	}{
		{name: "at rest", active: records.Green, blue: records.Weight(0), green: records.Weight(100), want: records.Green, wantShare: 100},
		{name: "stack.active says blue, the traffic is green's", active: records.Blue, blue: records.Weight(0), green: records.Weight(100), want: records.Green, wantShare: 100},
		{name: "mid-release", active: records.Blue, blue: records.Weight(70), green: records.Weight(30), want: records.Blue, wantShare: 30},
		{name: "even", active: records.Blue, blue: records.Weight(50), green: records.Weight(50), want: "", wantShare: 50},
		{name: "first release, before the switch", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := records.State{ActiveColor: tt.active, Weighted: map[records.Color]records.Record{}}
			if tt.blue != nil {
				st.Weighted[records.Blue] = weighted(records.Blue, *tt.blue)
			}
			if tt.green != nil {
				st.Weighted[records.Green] = weighted(records.Green, *tt.green)
			}
			s := operator.Status{State: st}
			if got, share := s.Live(), s.Share(records.Green); got != tt.want || share != tt.wantShare {
				t.Errorf("Live = %q, green's share %d; want %q, %d", got, share, tt.want, tt.wantShare)
			}
		})
	}
}
