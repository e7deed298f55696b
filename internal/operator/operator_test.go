package operator_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

const stateMachine = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"

// locks are lock items by app, stored in the shared lock-table fake by newOperator.
type locks map[string]map[string]ddbtypes.AttributeValue

type params map[string]string

func (p params) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	v, ok := p[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(v)}}, nil
}

func newOperator(l locks) (*operator.Operator, *stepFunctions) {
	f := newStepFunctions()
	table := applocktest.New("bluegreen-locks")
	for app, it := range l {
		it = maps.Clone(it)
		it["app"] = &ddbtypes.AttributeValueMemberS{Value: app}
		table.Put(it)
	}
	return &operator.Operator{SFN: f, Locks: applock.New(table, "bluegreen-locks"), Params: params{"/bluegreen/apps/demoapp": `{"hostedZoneId":"Z1","strategy":{"steps":[]},"template":{"url":"https://templates.s3.amazonaws.com/demoapp.yaml"},"noServiceRole":true}`},
		StateMachine: stateMachine, ConfigPrefix: "/bluegreen/apps/"}, f
}

func TestExecutionName(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 15, 0, 123e6, time.UTC)
	safe := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	tests := []struct {
		in   deploy.Input
		want string
	}{
		{deploy.Input{App: "demoapp", Version: "v2"}, "demoapp-deploy-v2-20261125T101500-123"},
		{deploy.Input{App: "demoapp", Version: "2026.11.25+build/7"}, "demoapp-deploy-2026-11-25-build-7-20261125T101500-123"},
		{deploy.Input{Action: deploy.ActionReconcile}, "app-reconcile-20261125T101500-123"},
		{deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}, "demoapp-rollback-20261125T101500-123"},
		{deploy.Input{App: "demoapp", Version: strings.Repeat("v", 120)}, "demoapp-deploy-" + strings.Repeat("v", 45) + "-20261125T101500-123"},
		{deploy.Input{App: strings.Repeat("a", 24), Version: strings.Repeat("-", 60)}, strings.Repeat("a", 24) + "-deploy-20261125T101500-123"},
	}
	for _, tt := range tests {
		got := operator.ExecutionName(tt.in, at)
		app := tt.in.App
		if app == "" {
			app = "app"
		}
		// The name begins with the app and a hyphen (the app's history finds it by that) and ends in the time.
		if !safe.MatchString(got) || got != tt.want || !strings.HasPrefix(got, app+"-") || !strings.HasSuffix(got, "20261125T101500-123") {
			t.Errorf("ExecutionName(%+v) = %q, want %q: at most 80 letters, digits, - and _, from the app's name to the time", tt.in, got, tt.want)
		}
	}
}

func TestStartValidatesBeforeStarting(t *testing.T) {
	tests := []struct {
		name    string
		in      deploy.Input
		wantErr bool
	}{
		{name: "valid", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy": {"steps": []}}`)}},
		{name: "invalid input", in: deploy.Input{App: "Demo App", Version: "v2"}, wantErr: true},
		{name: "malformed overrides", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":`)}, wantErr: true},
		{name: "steps out of order", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":{"steps":[50,30]}}`)}, wantErr: true},
		{name: "a step of 0", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":{"steps":[0]}}`)}, wantErr: true},
		{name: "a negative bake", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":{"bakeSeconds":-1}}`)}, wantErr: true},
		{name: "an unknown field", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":{"bake":1}}`)}, wantErr: true},
		{name: "a protected override", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"host":"shop.example.com"}`)}, wantErr: true},
		{name: "an app without configuration", in: deploy.Input{App: "shop", Version: "v2"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, f := newOperator(locks{})
			arn, err := o.StartNamed(context.Background(), "run-1", tt.in)
			var v *deploy.ValidationError
			if tt.wantErr {
				if !errors.As(err, &v) || len(f.started) != 0 {
					t.Errorf("StartNamed = %v after %d starts, want a ValidationError and no execution", err, len(f.started))
				}
				return
			}
			if err != nil || len(f.started) != 1 || !strings.HasSuffix(arn, ":run-1") {
				t.Fatalf("StartNamed = %q, %v after %d starts", arn, err, len(f.started))
			}
			got, err := deploy.DecodeInput([]byte(aws.ToString(f.started[0].Input)))
			if err != nil || aws.ToString(f.started[0].StateMachineArn) != stateMachine {
				t.Fatalf("started %s on %s: %v", aws.ToString(f.started[0].Input), aws.ToString(f.started[0].StateMachineArn), err)
			}
			got.Config, tt.in.Config = nil, nil
			if diff := cmp.Diff(got, tt.in); diff != "" {
				t.Errorf("execution input (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	gate := func(tok string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"app": &ddbtypes.AttributeValueMemberS{Value: "demoapp"},
			"execution": &ddbtypes.AttributeValueMemberS{Value: "arn:x"}, "approvalToken": &ddbtypes.AttributeValueMemberS{Value: tok},
			"approvalStep": &ddbtypes.AttributeValueMemberN{Value: "30"}}
	}
	tests := []struct {
		name     string
		locks    locks
		decision string
		wantErr  error
		wantSent string
	}{
		{name: "promote", locks: locks{"demoapp": gate("tok")}, decision: deploy.DecisionPromote, wantSent: "tok"},
		{name: "unknown decision", locks: locks{"demoapp": gate("tok")}, decision: "approve", wantErr: &deploy.ValidationError{}},
		{name: "not locked", locks: locks{}, decision: deploy.DecisionAbort, wantErr: operator.ErrNoApproval},
		{name: "no gate waiting", locks: locks{"demoapp": gate("")}, decision: deploy.DecisionAbort, wantErr: operator.ErrNoApproval},
		{name: "the gate timed out", locks: locks{"demoapp": gate("old-token")}, decision: deploy.DecisionPromote, wantErr: operator.ErrNoApproval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, f := newOperator(tt.locks)
			err := o.Decide(context.Background(), "demoapp", deploy.Approval{Decision: tt.decision, By: "alice"})
			var v *deploy.ValidationError
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Decide = %v", err)
			case errors.As(tt.wantErr, &v) && !errors.As(err, &v):
				t.Errorf("Decide = %v, want a ValidationError", err)
			case tt.wantErr == operator.ErrNoApproval && !errors.Is(err, operator.ErrNoApproval):
				t.Errorf("Decide = %v, want ErrNoApproval", err)
			}
			if tt.wantSent == "" {
				if len(f.sent) != 0 {
					t.Errorf("sent %d answers, want none", len(f.sent))
				}
				return
			}
			if len(f.sent) != 1 || aws.ToString(f.sent[0].TaskToken) != tt.wantSent || aws.ToString(f.sent[0].Output) != `{"decision":"promote","by":"alice"}` {
				t.Errorf("sent %+v, want the gate's token with the decision", f.sent)
			}
		})
	}
}

func TestLockAndConfig(t *testing.T) {
	o, _ := newOperator(locks{"demoapp": {"execution": &ddbtypes.AttributeValueMemberS{Value: "arn:x"}, "progress": &ddbtypes.AttributeValueMemberS{Value: "shifting"},
		"step": &ddbtypes.AttributeValueMemberN{Value: "30"}}})
	l, err := o.Lock(context.Background(), "demoapp")
	if err != nil || l == nil || l.Execution != "arn:x" || l.Progress != "shifting" || l.Step != 30 {
		t.Errorf("Lock = %+v, %v", l, err)
	}
	if l, err := o.Lock(context.Background(), "shop"); l != nil || err != nil {
		t.Errorf("Lock(unlocked) = %+v, %v; want nil, nil", l, err)
	}
	cfg, err := o.Config(context.Background(), "demoapp")
	if err != nil || cfg.HostedZoneID != "Z1" || len(cfg.Strategy.Steps) != 0 || *cfg.DrainSeconds != deploy.DefaultDrainSeconds {
		t.Errorf("Config = %+v, %v; want the stored configuration, resolved", cfg, err)
	}
	var missing *ssmtypes.ParameterNotFound
	if _, err := o.Config(context.Background(), "shop"); !errors.As(err, &missing) {
		t.Errorf("Config(shop) = %v, want ParameterNotFound", err)
	}
}
