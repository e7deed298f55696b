package cli

import (
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The JSON of status -o json: one object, these fields in every version.
type (
	jsonStatus struct {
		App        string `json:"app"`
		Zone       string `json:"zone"`
		Host       string `json:"host"`
		Phase      string `json:"phase"`
		Consistent bool   `json:"consistent"`
		// Live is the color holding the traffic; Active the one stack.active names ("" for none).
		Live      string      `json:"live"`
		Active    string      `json:"active"`
		Colors    []jsonColor `json:"colors"`
		Lock      *jsonLock   `json:"lock"`
		Unslotted []jsonStack `json:"unslotted"`
		Problems  []string    `json:"problems"`
		// Failover is null unless the app has failover and Route 53 does not serve the live stack as the weights
		// say (status exits 4): {"live", "served", "reason"}.
		Failover *failover.Serving `json:"failover"`
		Records  []records.Record  `json:"records"`
	}
	jsonColor struct {
		Color string `json:"color"`
		// The slot's stack; empty strings when the slot is empty.
		StackID string `json:"stackId"`
		Stack   string `json:"stack"`
		Version string `json:"version"`
		Status  string `json:"status"`
		// Weight is the weighted record's (null when the color has none); Share its percent of the traffic.
		Weight *int64 `json:"weight"`
		Share  int    `json:"share"`
		Live   bool   `json:"live"`
		Active bool   `json:"active"`
	}
	jsonStack struct {
		Stack   string `json:"stack"`
		StackID string `json:"stackId"`
		Version string `json:"version"`
		Status  string `json:"status"`
	}
	jsonLock struct {
		Execution string `json:"execution"`
		Action    string `json:"action"`
		Progress  string `json:"progress"`
		Step      int    `json:"step"`
		// Running says whether the holder still runs; Status is its status ("" when it is gone).
		Running   bool          `json:"running"`
		Status    string        `json:"status"`
		StartedAt string        `json:"startedAt,omitempty"`
		Approval  *jsonApproval `json:"approval"`
	}
	// jsonApproval is a gate waiting: its token is never shown.
	jsonApproval struct {
		Step        int    `json:"step"`
		Verdict     string `json:"verdict"`
		RequestedAt string `json:"requestedAt,omitempty"`
	}
)

func statusJSON(s operator.Status) jsonStatus {
	j := jsonStatus{
		App: s.App.Name, Zone: s.App.Zone, Host: s.App.HostName(), Phase: string(s.State.Phase),
		Consistent: s.State.Phase != records.PhaseInconsistent, Live: string(s.Live()), Active: string(s.State.ActiveColor),
		Colors: []jsonColor{}, Unslotted: []jsonStack{}, Problems: append([]string{}, s.State.Problems...),
		Records: append([]records.Record{}, s.State.Records...), Failover: s.Served,
	}
	if f := s.State.Fence; f != nil {
		j.Records = append(j.Records, *f)
	}
	for _, c := range records.Colors {
		col := jsonColor{Color: string(c), Live: s.Live() == c, Active: s.State.ActiveColor == c, Share: s.Share(c)}
		if id, ok := s.State.Slots[c]; ok {
			col.StackID, col.Stack, col.Version = id, s.App.StackName(id), version(s, id)
			if x := s.Stack(id); x != nil {
				col.Status = x.Status
			}
		}
		if r, ok := s.State.Weighted[c]; ok {
			col.Weight = r.Weight
		}
		j.Colors = append(j.Colors, col)
	}
	for _, u := range s.Unslotted {
		j.Unslotted = append(j.Unslotted, jsonStack{Stack: u.Name, StackID: u.StackID, Version: u.Version, Status: u.Status})
	}
	if l := s.Lock; l != nil {
		jl := &jsonLock{Execution: l.Execution, Action: string(l.Action), Progress: string(l.Progress), Step: l.Step, Running: s.Running(), StartedAt: timeJSON(l.StartedAt)}
		if s.Holder != nil {
			jl.Status = s.Holder.Status
		}
		if g := l.Approval; g != nil {
			jl.Approval = &jsonApproval{Step: g.Step, Verdict: g.Verdict, RequestedAt: timeJSON(g.RequestedAt)}
		}
		j.Lock = jl
	}
	return j
}

// timeJSON writes a time in RFC 3339, "" when zero.
func timeJSON(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
