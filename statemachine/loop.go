package statemachine

// change is a record change: the task that applies it and what follows.
type change struct {
	// name is the applying task's; the loop's states are named after it: <name>Pending, <name>WaitChange,
	// <name>Sync (and <name>Synced when again).
	name, comment string
	// prefix names the loop's states when it is not name.
	prefix string
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
func (p *phase) changeLoop(c change) *State {
	prefix := c.name
	if c.prefix != "" {
		prefix = c.prefix
	}
	pending, wait, sync, synced := prefix+"Pending", prefix+"WaitChange", prefix+"Sync", prefix+"Pending"
	if c.again {
		synced = prefix + "Synced"
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
