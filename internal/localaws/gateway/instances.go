package gateway

import (
	"context"
	"errors"
	"sync"
)

// instance is one execution environment of a function, as Lambda runs it: one invocation at a time, reused by later
// invocations while it stays healthy.
type instance interface {
	// invoke runs one invocation; reusable is false when the instance must not serve another (it timed out, its
	// runtime died): the pool then stops it.
	invoke(ctx context.Context, inv invocation) (res result, reusable bool, err error)
	// alive reports whether an idle instance can still serve (an RIE process may have exited meanwhile).
	alive() bool
	close() error
}

// pool runs a function's invocations as Lambda scales out: each concurrent invocation in an instance of its own, an
// idle (warm) instance when there is one, the most recently used first, else a new (cold) one.
type pool struct {
	start func(ctx context.Context) (instance, error)

	mu     sync.Mutex
	idle   []*pooled
	live   map[*pooled]struct{}
	stats  Instances
	closed bool
}

// pooled is an instance with the number it was started under (1 for the function's first).
type pooled struct {
	id int
	instance
}

// Instances counts a function's instances, for tests and the bench.
type Instances struct {
	// Started is how many instances were started (cold starts); Idle and Busy how many are waiting for an
	// invocation and running one now; Peak is the most that ran invocations at once.
	Started, Idle, Busy, Peak int
}

func newPool(start func(ctx context.Context) (instance, error)) *pool {
	return &pool{start: start, live: map[*pooled]struct{}{}}
}

// errClosed is what an invocation gets once the gateway is closed.
var errClosed = errors.New("the gateway is closed")

// invoke runs an invocation in an instance of its own and returns the result with that instance's number and
// whether it was started for this invocation.
func (p *pool) invoke(ctx context.Context, inv invocation) (res result, id int, cold bool, err error) {
	in, cold, err := p.acquire(ctx)
	if err != nil {
		return result{}, 0, cold, err
	}
	res, reusable, err := in.invoke(ctx, inv)
	p.release(in, reusable && err == nil)
	return res, in.id, cold, err
}

func (p *pool) acquire(ctx context.Context) (*pooled, bool, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, errClosed
	}
	for n := len(p.idle); n > 0; n = len(p.idle) {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if !in.alive() { // gone while idle: dropped, as Lambda drops a broken environment
			delete(p.live, in)
			p.move(0, -1)
			_ = in.close()
			continue
		}
		p.move(+1, -1)
		p.mu.Unlock()
		return in, false, nil
	}
	p.stats.Started++
	id := p.stats.Started
	p.move(+1, 0)
	p.mu.Unlock()

	started, err := p.start(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.move(-1, 0)
		return nil, true, err
	}
	in := &pooled{id: id, instance: started}
	if p.closed {
		p.move(-1, 0)
		_ = in.close()
		return nil, true, errClosed
	}
	p.live[in] = struct{}{}
	return in, true, nil
}

// move counts instances into or out of busy and idle, and keeps the peak.
func (p *pool) move(busy, idle int) {
	p.stats.Busy += busy
	p.stats.Idle += idle
	p.stats.Peak = max(p.stats.Peak, p.stats.Busy)
}

func (p *pool) release(in *pooled, reusable bool) {
	p.mu.Lock()
	if reusable && !p.closed {
		p.idle = append(p.idle, in)
		p.move(-1, +1)
		p.mu.Unlock()
		return
	}
	_, mine := p.live[in] // else close took it
	delete(p.live, in)
	p.move(-1, 0)
	p.mu.Unlock()
	if mine {
		_ = in.close()
	}
}

// counts returns the pool's counts now.
func (p *pool) counts() Instances {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// close stops every instance, failing the invocations in progress.
func (p *pool) close() error {
	p.mu.Lock()
	p.closed = true
	live := p.live
	p.live, p.idle = map[*pooled]struct{}{}, nil
	p.stats.Idle = 0
	p.mu.Unlock()
	var errs []error
	for in := range live {
		errs = append(errs, in.close())
	}
	return errors.Join(errs...)
}

// Instances returns the counts of a function's instances (zero for a function the gateway does not serve).
func (g *Gateway) Instances(function string) Instances {
	if p, ok := g.functions[function]; ok {
		return p.counts()
	}
	return Instances{}
}
