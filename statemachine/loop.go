package statemachine

// change is a record change: the task that applies it and what follows.
type change struct {
	// name is the applying task's; the loop's states are named after it: <name>Pending, <name>WaitChange,
	// <name>Sync (and <name>Synced when again).
	name, comment string
	// apply is the Lambda operation that applies the change; the loop asks the same function's "sync" op.
	apply call
	// next is where the run goes once the change is INSYNC.
	next string
	// again: the op applies several batches in turn (each needs the one before INSYNC), so it is called again
	// after each change is in sync, until it returns with none pending.
	again bool
	// first are routes the applying task tries before its phase's policy.
	first []route
}

// changeLoop adds the loop every record change goes through. The applying Lambda waits for INSYNC itself while
// its deadline allows; when it returns first, change.pending is true and the state machine waits
// change.waitSeconds and asks the function's sync op, until Route 53 reports the change INSYNC:
//
//	<name> → <name>Pending? → <name>WaitChange → <name>Sync → <name>Pending? (<name>Synced? with again) → next
//
// Every state of the loop fails as its phase does. It returns the applying task.
func (p *phase) changeLoop(c change) *aslState {
	pending, wait, sync, synced := c.name+"Pending", c.name+"WaitChange", c.name+"Sync", c.name+"Pending"
	if c.again {
		synced = c.name + "Synced"
	}
	apply := p.lambda(c.name, c.comment, c.apply, pending, c.first...)
	p.choice(pending, "", c.next, isTrue("$.change.pending", wait))
	p.wait(wait, "", "$.change.waitSeconds", sync)
	p.lambda(sync, "", call{function: c.apply.function, op: "sync"}, synced)
	if c.again {
		p.choice(synced, "", c.name, isTrue("$.change.pending", wait))
	}
	return apply
}

// healthCheck adds the health check of a stack before it gets traffic (the health function's pretraffic op),
// tried again after checks.waitSeconds while its verdict says to (checks.retry): after a failure that
// health.retries allows (the wait is health.retrySeconds), and while it waits for targets that ELB reports initial
// (the wait is bounded by the deadline the function carries in checks.initialUntil), then next:
//
//	<prefix>Health → <prefix>Verdict? → <prefix>RetryWait → <prefix>Health
//
// A failed check is a HealthCheckError, which fails as the phase does.
func (p *phase) healthCheck(prefix, comment, next string) {
	health, verdict, wait := prefix+"Health", prefix+"Verdict", prefix+"RetryWait"
	p.lambda(health, comment, call{HealthCheckFunction, "pretraffic"}, verdict)
	p.choice(verdict, "", next, isTrue("$.checks.retry", wait))
	p.wait(wait, "", "$.checks.waitSeconds", health)
}
