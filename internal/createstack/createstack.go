// Package createstack is the create-stack Lambda: it prepares a run (stored configuration merged with the input,
// everything validated, reads only), takes over a lock a stopped run left, plans under the lock, creates the new
// stack and checks it once per call, publishes it in DNS, and deletes stacks (the clean-up after a release, the new
// stack after a rollback). It also sweeps: it starts the reconcile of every lock a stopped run holds (sweep.go).
package createstack

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// paramStore reads an app's stored configuration.
type paramStore interface {
	GetParameter(ctx context.Context, params *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// executions describes executions (the one a reconcile repairs, a lock's holder) and starts the reconciles a
// sweep finds due.
type executions interface {
	DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	StartExecution(ctx context.Context, params *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// lockTable lists the locks, reads, takes and takes over an app's lock, and records the progress of the run holding
// it.
type lockTable interface {
	List(ctx context.Context) ([]applock.Item, error)
	Get(ctx context.Context, app string) (*applock.Item, error)
	Take(ctx context.Context, app, execution string, action deploy.Action) error
	TakeOver(ctx context.Context, app string, o applock.Takeover) error
	Record(ctx context.Context, app, execution string, m applock.Mark) error
}

// stackManager is the part of the stack manager this function uses.
type stackManager interface {
	Create(ctx context.Context, s stacks.Spec) (string, error)
	Status(ctx context.Context, name string) (stacks.Status, error)
	Endpoint(ctx context.Context, name, outputKey, healthURLOutput string) (stacks.Endpoint, error)
	Delete(ctx context.Context, name string) error
	List(ctx context.Context, app string) ([]stacks.Summary, error)
}

var (
	_ paramStore   = (*ssm.Client)(nil)
	_ executions   = (*sfn.Client)(nil)
	_ lockTable    = (*applock.Table)(nil)
	_ stackManager = (*stacks.Manager)(nil)
)

// Deps are the handler's dependencies.
type Deps struct {
	Params     paramStore
	Executions executions
	Locks      lockTable
	Stacks     stackManager
	Zones      traffic.Zones
	// ConfigPrefix is the SSM parameter name prefix of the apps' configurations.
	ConfigPrefix string
	// Guard confirms that an execution still holds an app's lock before a write (nil: no check).
	Guard func(ctx context.Context, app, execution string) error
	// Checks are the apps' Route 53 health checks (CNAME failover).
	Checks traffic.HealthChecks
	// Reach says whether Route 53's health checkers can reach a stack's endpoint (CNAME failover).
	Reach failover.Reach
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Handler is the create-stack function.
type Handler struct {
	d Deps
	// writers open the app's records for an execution, every write checked (Guard) and fenced.
	writers traffic.Writers
}

// New returns the handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Handler{d: d, writers: traffic.Writers{Zones: d.Zones, Guard: d.Guard, Checks: d.Checks}}
}

// Function returns the Lambda with its operations.
func (h *Handler) Function(log *slog.Logger) *invoke.Function {
	return &invoke.Function{Name: "createstack", Log: log, Ops: map[string]invoke.Op{
		"prepare": h.prepare,
		"lock":    h.lock,
		"plan":    h.plan,
		"create":  h.create,
		"status":  h.status,
		"publish": h.publish,
		"sync":    traffic.SyncOp(h.writers),
		"cleanup": h.cleanup,
		"delete":  h.discard,
		"sweep":   h.sweep,
	}, Writes: []string{"create", "publish", "cleanup", "delete"}, Guard: h.d.Guard}
}
