package localaws_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// echoPID invokes the echo bootstrap, taking sleep milliseconds, and returns the process that ran it.
func echoPID(t *testing.T, a *localaws.AWS, sleep int) int {
	t.Helper()
	var out struct {
		PID int `json:"pid"`
	}
	b := invokeEcho(t, a, fmt.Sprintf(`{"pid": true, "sleepMillis": %d}`, sleep))
	if json.Unmarshal(b, &out) != nil || out.PID == 0 {
		t.Errorf("echo answered %s, want its process id", b)
	}
	return out.PID
}

// Concurrent invocations of a bootstrap run in RIE processes of their own (RIE runs one invocation at a time): the
// function's pool grows with its concurrency, and an idle process serves the next invocation.
func TestRIEPoolGrowsWithConcurrency(t *testing.T) {
	a := localawstest.Use(t, local)
	before := a.Gateway.Instances("echo")
	echoPID(t, a, 0) // at least one instance, warm
	warm := a.Gateway.Instances("echo")
	if warm.Idle < 1 {
		t.Fatalf("after one invocation: %+v, want an idle instance", warm)
	}

	const together = 3
	pids := make([]int, together)
	var wg sync.WaitGroup
	for i := range together {
		wg.Go(func() { pids[i] = echoPID(t, a, 1500) })
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, p := range pids {
		seen[p] = true
	}
	if len(seen) != together {
		t.Errorf("%d concurrent invocations ran in processes %v, want %d different ones", together, pids, together)
	}
	after := a.Gateway.Instances("echo")
	if after.Peak < together || after.Idle < together || after.Started-before.Started > together {
		t.Errorf("instances %+v (before %+v), want a peak of at least %d, as many idle, at most %d started", after, before, together, together)
	}
	if p := echoPID(t, a, 0); !seen[p] {
		t.Errorf("a later invocation ran in process %d, want one of the idle ones %v", p, pids)
	}
	if got := a.Gateway.Instances("echo").Started; got != after.Started {
		t.Errorf("instances started by a later invocation: %d, want none", got-after.Started)
	}
}
