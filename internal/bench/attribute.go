package bench

import (
	"fmt"
	"slices"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
)

// Calls are the Route 53 requests of one run, from the gateway's request log.
type Calls struct {
	// All counts every request, rejected ones included.
	All int
	// Rejected counts the requests answered with an error status (throttled, refused).
	Rejected int
	// Changes counts the accepted ChangeResourceRecordSets.
	Changes int
	// GetChange, List and GetHostedZone count those operations' requests.
	GetChange, List, GetHostedZone int
}

// Window is a span of time, From included, To excluded; a zero bound leaves that side open.
type Window struct {
	From, To time.Time
}

// contains reports whether t lies in the window.
func (w Window) contains(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.To.IsZero() || t.Before(w.To))
}

// Tally counts the Route 53 requests signed with accessKey (the deployer's functions, not the harness) that arrived
// in w.
func Tally(reqs []gateway.Request, accessKey string, w Window) Calls {
	var c Calls
	for _, r := range reqs {
		if r.Service != "route53" || r.AccessKey != accessKey || !w.contains(r.Time) {
			continue
		}
		c.All++
		if !r.Accepted() {
			c.Rejected++
		}
		switch r.Operation {
		case "ChangeResourceRecordSets":
			if r.Accepted() {
				c.Changes++
			}
		case "GetChange":
			c.GetChange++
		case "ListResourceRecordSets":
			c.List++
		case "GetHostedZone":
			c.GetHostedZone++
		}
	}
	return c
}

// Entered is a state an execution entered (a StateEntered event of its history), and when.
type Entered struct {
	Name string
	Time time.Time
}

// StackWaitLoop names the states of the loop that waits for a stack to be created: they repeat as long as
// CloudFormation takes, so the transition counts leave them out.
var StackWaitLoop = []string{"StackWait", "StackStatus", "StackReady"}

// Transitions counts the states entered, those of the stack wait loop excluded.
func Transitions(path []Entered) int {
	n := 0
	for _, e := range path {
		if !slices.Contains(StackWaitLoop, e.Name) {
			n++
		}
	}
	return n
}

// Span is the window from the first time the execution entered state from to the next time it entered one of
// until — or, with no until, the next state it entered; open-ended when it entered none after.
func Span(path []Entered, from string, until ...string) (Window, error) {
	for i, e := range path {
		if e.Name != from {
			continue
		}
		w := Window{From: e.Time}
		for _, next := range path[i+1:] {
			if len(until) == 0 || slices.Contains(until, next.Name) {
				w.To = next.Time
				break
			}
		}
		return w, nil
	}
	return Window{}, fmt.Errorf("the execution never entered %s", from)
}
