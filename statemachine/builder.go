package statemachine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// builder collects the states of a workflow, phase by phase. A workflow is written as phases (newBuilder, then
// builder.phase for each part); every state belongs to one. A phase names its failure policy once, and every task
// added to it takes its Catch from that policy, so where a failure goes is decided per phase, not per state:
//
//	b := newBuilder(comment)
//	watch := b.phase("watch", "Watch the release", rollBack)
//	watch.lambda("Watch", "Watch the release.", call{HealthCheckFunction, "watch"}, "Watched")
//	watch.record("Watched", "", deploy.ProgressWatched, "Cleanup")
//	m, err := b.machine()
//
// The parts:
//   - policy (policy.go): where a phase's failures go — goTo a state, carryOn, ignore; the workflow's own are in
//     workflow.go (starting, locking, refuse, rollBack, markDirty). A task may add routes tried first (a named error
//     that means something else there), never replace its phase's.
//   - phase.lambda, phase.record (a progress write of the lock item), phase.takeLock, phase.forgetApproval,
//     phase.unlock (lockitem.go), phase.notify, phase.task (any other task): tasks, each with the retry policy of
//     its kind (lambdaRetry, dynamoRetry; none for notifications).
//   - phase.changeLoop (loop.go): every record change (apply → pending? → wait → sync), one function wherever a batch
//     is applied.
//   - phase.choice (rules isTrue, equals, absent), phase.wait, phase.pass, phase.fail, phase.succeed.
//   - builder.machine: the definition, checked (every target exists, no name twice).
//
// Machine.JSON is the committed file; Machine.Mermaid the README's diagram, one box per phase (diagram.go).
type builder struct {
	m    *Machine
	seen map[string]bool
	errs []error
}

func newBuilder(comment string) *builder {
	return &builder{m: &Machine{Comment: comment}, seen: map[string]bool{}}
}

// phase is a part of the workflow that fails one way: one box of the diagram.
type phase struct {
	id, title string
	// ending: a way the run ends (drawn with round sides).
	ending bool
	policy policy
	b      *builder
}

// phase starts a phase; id names its box in the diagram, title is the box's text.
func (b *builder) phase(id, title string, p policy) *phase {
	if slices.ContainsFunc(b.m.phases, func(q *phase) bool { return q.id == id }) {
		b.errs = append(b.errs, fmt.Errorf("phase %s is started twice", id))
	}
	ph := &phase{id: id, title: title, policy: p, b: b}
	b.m.phases = append(b.m.phases, ph)
	return ph
}

// endingPhase starts a phase that ends the run (a notification and a Fail or Succeed state, say).
func (b *builder) endingPhase(id, title string, p policy) *phase {
	ph := b.phase(id, title, p)
	ph.ending = true
	return ph
}

// add adds a state; the first state added is where the machine starts.
func (p *phase) add(name string, s *aslState) *aslState {
	b := p.b
	if b.seen[name] {
		b.errs = append(b.errs, fmt.Errorf("state %s is added twice", name))
	}
	b.seen[name] = true
	if b.m.StartAt == "" {
		b.m.StartAt = name
	}
	b.m.states = append(b.m.states, named{name: name, state: s, phase: p})
	return s
}

// machine returns the definition, or what is wrong with it: a state or phase added twice, a target that is no
// state.
func (b *builder) machine() (*Machine, error) {
	errs := slices.Clone(b.errs)
	for _, n := range b.m.states {
		for _, t := range targets(n.state) {
			if !b.seen[t] {
				errs = append(errs, fmt.Errorf("state %s goes to %s, which is not a state", n.name, t))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("state machine: %w", errors.Join(errs...))
	}
	return b.m, nil
}

// targets returns every state s may go to: Next, Default, the choices' and the catchers' Next.
func targets(s *aslState) []string {
	var out []string
	add := func(t string) {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	add(s.Next)
	for _, r := range s.Choices {
		add(r.Next)
	}
	add(s.Default)
	for _, c := range s.Catch {
		add(c.Next)
	}
	return out
}

// kind is what a task calls; it decides the task's retry policy and, when its phase carries on after a failure,
// where the failure is recorded.
type kind int

const (
	kindLambda   kind = iota // one of the deployer's Lambdas
	kindApproval             // a Lambda that waits for an operator's answer (a task token)
	kindLock                 // a write of the lock item (the lock, progress, the plan)
	kindUnlock               // the release of the lock
	kindNotify               // a notification
)

// retry is each kind's retry policy.
func (k kind) retry() []retrier {
	switch k {
	case kindLambda:
		return append(append([]retrier{}, lambdaRetry...), timeoutRetry)
	case kindApproval:
		return lambdaRetry
	case kindLock, kindUnlock:
		return dynamoRetry
	}
	return nil // a notification is not worth a delay
}

// carried is where a failure of a task of this kind is recorded when its phase carries on.
func (k kind) carried() any {
	switch k {
	case kindLambda, kindApproval:
		return "$.cleanupError"
	case kindLock:
		return "$.error"
	case kindUnlock:
		return "$.unlockError"
	}
	return discard
}

// raises reports whether a task of this kind can fail with the error: the deployer's named errors come from its
// Lambdas, a service's errors from that service, and Step Functions' own (States.*) from any task.
func (k kind) raises(err string) bool {
	service, _, ok := strings.Cut(err, ".")
	switch {
	case service == "States":
		return true
	case k == kindLock || k == kindUnlock:
		return ok && service == "DynamoDB"
	case k == kindNotify:
		return ok && service == "SNS"
	}
	return !ok || service == "Lambda" || service == "Sandbox"
}

// task adds a Task state of kind k that goes on to next. Its Retry is its kind's; its Catch is first's routes,
// then its phase's policy, less the routes naming only errors a task of its kind cannot raise (a DynamoDB task
// never fails with LockHeldError). A notification's Catch is always "carry on, record nothing": a notification
// never changes the outcome.
func (p *phase) task(name string, s *aslState, k kind, next string, first ...route) *aslState {
	s.Type = "Task"
	s.Next = next
	s.Retry = k.retry()
	routes := append(slices.Clone(first), p.policy.routes...)
	if k == kindNotify {
		routes = ignore.routes
	}
	for _, r := range routes {
		if !slices.ContainsFunc(r.errors, k.raises) {
			continue
		}
		c := catcher{ErrorEquals: r.errors, Next: r.next, ResultPath: r.resultPath}
		if c.Next == "" {
			c.Next = next
		}
		if c.ResultPath == nil {
			c.ResultPath = k.carried()
		}
		s.Catch = append(s.Catch, c)
	}
	return p.add(name, s)
}

// call names a Lambda and the operation it runs.
type call struct {
	function string // the function's placeholder
	op       string
}

// payload is what every Lambda task sends: the operation, the execution's ARN and the state document.
func (c call) payload() map[string]any {
	return map[string]any{"op": c.op, "execution.$": "$$.Execution.Id", "state.$": "$"}
}

// lambda adds a task that calls c with the state document and goes on to next with the document it returns.
func (p *phase) lambda(name, comment string, c call, next string, first ...route) *aslState {
	return p.task(name, &aslState{
		Comment:    comment,
		Resource:   "arn:aws:states:::lambda:invoke",
		Parameters: map[string]any{"FunctionName": placeholder(c.function), "Payload": c.payload()},
		OutputPath: "$.Payload",
	}, kindLambda, next, first...)
}

// notify adds a notification to the topic; message is a Message.$ expression.
func (p *phase) notify(name, subject, message, next string) *aslState {
	return p.task(name, &aslState{
		Comment:    "Tell the notification topic; a failed notification never changes the outcome.",
		Resource:   "arn:aws:states:::sns:publish",
		Parameters: map[string]any{"TopicArn": placeholder(NotificationTopic), "Subject": subject, "Message.$": message},
		ResultPath: discard,
	}, kindNotify, next)
}

// choice adds a Choice state; def is where it goes when no rule matches.
func (p *phase) choice(name, comment, def string, rules ...rule) *aslState {
	return p.add(name, &aslState{Comment: comment, Type: "Choice", Choices: rules, Default: def})
}

// isTrue is the rule "the boolean at path is true".
func isTrue(path, next string) rule {
	t := true
	return rule{Variable: path, BooleanEquals: &t, Next: next}
}

// equals is the rule "the string at path is value".
func equals(path, value, next string) rule {
	return rule{Variable: path, StringEquals: &value, Next: next}
}

// absent is the rule "there is nothing at path".
func absent(path, next string) rule {
	t := true
	return rule{Not: &rule{Variable: path, IsPresent: &t}, Next: next}
}

// wait adds a Wait state of the seconds at secondsPath (from the input, so tests can wait 0).
func (p *phase) wait(name, comment, secondsPath, next string) *aslState {
	return p.add(name, &aslState{Comment: comment, Type: "Wait", SecondsPath: secondsPath, Next: next})
}

// pass adds a Pass state.
func (p *phase) pass(name string, s *aslState, next string) *aslState {
	s.Type, s.Next = "Pass", next
	return p.add(name, s)
}

// fail adds a Fail state.
func (p *phase) fail(name string, s *aslState) *aslState {
	s.Type = "Fail"
	return p.add(name, s)
}

// succeed adds a Succeed state.
func (p *phase) succeed(name string) *aslState {
	return p.add(name, &aslState{Type: "Succeed"})
}

func placeholder(name string) string { return "${" + name + "}" }
