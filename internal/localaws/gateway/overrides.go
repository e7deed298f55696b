package gateway

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
	"time"
)

// StackStatus is what CloudFormation reports for a stack whose status is overridden.
// moto never produces a failed status: this is how tests reach those branches.
type StackStatus struct {
	// Status replaces the stack's status, e.g. CREATE_FAILED, ROLLBACK_COMPLETE,
	// ROLLBACK_IN_PROGRESS, CREATE_IN_PROGRESS.
	Status string `json:"status"`
	// Reason is the StackStatusReason, and the reason of the failed resource's event.
	Reason string `json:"reason,omitempty"`
	// LogicalResourceID and ResourceType name the resource that DescribeStackEvents
	// reports CREATE_FAILED; default "LoadBalancer", AWS::ElasticLoadBalancingV2::LoadBalancer.
	LogicalResourceID string `json:"logicalResourceId,omitempty"`
	ResourceType      string `json:"resourceType,omitempty"`
}

// TargetHealth is what ELBv2 DescribeTargetHealth reports for a target whose health is
// overridden. moto reports every registered target healthy.
type TargetHealth struct {
	// State is the target's state; default "unhealthy".
	State string `json:"state,omitempty"`
	// Reason is the reason code; default ELB's usual one for the state (targetReasons).
	Reason string `json:"reason,omitempty"`
	// Description is the human-readable description; default ELB's for the default reason.
	Description string `json:"description,omitempty"`
	// Answers is how many DescribeTargetHealth answers report it; then moto's own state (healthy) is reported
	// again, as for a target that passes its first health check after "initial". 0: until cleared.
	Answers int `json:"answers,omitempty"`
	// TargetGroup, when set, limits the override to the target group with this ARN (one stack's, when the
	// stacks' targets share their ids, as the demo template's do); it takes precedence over one for every group.
	TargetGroup string `json:"targetGroup,omitempty"`
}

// targetReasons are the reason code and description ELB reports with each state when the override gives none
// (Elastic Load Balancing API reference, TargetHealth; health checks for Application Load Balancer target groups).
var targetReasons = map[string][2]string{
	"initial":     {"Elb.InitialHealthChecking", "Initial health checks in progress"},
	"unhealthy":   {"Target.FailedHealthChecks", "Health checks failed"},
	"unavailable": {"Target.HealthCheckDisabled", "Health checks are disabled"},
	"unused":      {"Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"},
	"draining":    {"Target.DeregistrationInProgress", "Target deregistration is in progress"},
}

// overrides are the response rewrites in force, keyed by stack name and target id.
type overrides struct {
	mu      sync.Mutex
	stacks  map[string]StackStatus
	targets map[string]TargetHealth
	// checks says what Route 53's checkers find of a health check (SetHealthCheckStatus); not cleared by
	// ClearFaults: it is the local AWS's model, not a fault.
	checks func(id string) (healthy, known bool)
}

// SetHealthCheckStatus makes GetHealthCheckStatus report what status says of a health check — the local data
// plane's checkers, which probe it — instead of moto's answer, which reports every check healthy: when status
// knows a check to be unhealthy, every checker's observation reads as a failure. Nil: moto's answers.
func (g *Gateway) SetHealthCheckStatus(status func(id string) (healthy, known bool)) {
	o := &g.overrides
	o.mu.Lock()
	defer o.mu.Unlock()
	o.checks = status
}

// healthCheckStatusPath is a GetHealthCheckStatus request's path: /2013-04-01/healthcheck/<id>/status.
var healthCheckStatusPath = regexp.MustCompile(`^/2013-04-01/healthcheck/([^/]+)/status$`)

// failedObservation is what a checker's observation of an unhealthy check reads as (Route 53 starts a failure
// report with "Failure:").
const failedObservation = "Failure: the local AWS's checkers found the endpoint unhealthy"

// rewriteHealthCheckStatus makes every observation of a GetHealthCheckStatus answer a failure.
func rewriteHealthCheckStatus(body []byte) []byte {
	return statusElement.ReplaceAll(body, []byte("<Status>"+failedObservation+"</Status>"))
}

var statusElement = regexp.MustCompile(`<Status>[^<]*</Status>`)

// SetStackStatus makes DescribeStacks and ListStacks report status for the stack of
// that name, and DescribeStackEvents report a resource CREATE_FAILED with the reason.
func (g *Gateway) SetStackStatus(stackName string, s StackStatus) {
	if s.LogicalResourceID == "" {
		s.LogicalResourceID, s.ResourceType = "LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer"
	}
	if s.ResourceType == "" {
		s.ResourceType = "AWS::CloudFormation::CustomResource"
	}
	o := &g.overrides
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stacks == nil {
		o.stacks = map[string]StackStatus{}
	}
	o.stacks[stackName] = s
}

// SetTargetHealth makes DescribeTargetHealth report h for the target with that id (an
// instance id or IP address) in every target group; the id "*" stands for every target.
func (g *Gateway) SetTargetHealth(targetID string, h TargetHealth) {
	if h.State == "" {
		h.State = "unhealthy"
	}
	if d, ok := targetReasons[h.State]; ok && h.Reason == "" {
		h.Reason = d[0]
		if h.Description == "" {
			h.Description = d[1]
		}
	}
	o := &g.overrides
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.targets == nil {
		o.targets = map[string]TargetHealth{}
	}
	o.targets[targetKey(h.TargetGroup, targetID)] = h
}

// targetKey is the key of a target's override: its id, preceded by the target group it is limited to.
func targetKey(group, id string) string {
	if group == "" {
		return id
	}
	return group + " " + id
}

func (o *overrides) clear() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stacks, o.targets = nil, nil
}

// rewriter returns the rewrite of moto's answer to the call, or nil when nothing is overridden. An answer to a
// quiet caller (consume false) is not one of those a limited override lasts for.
func (o *overrides) rewriter(c Call, consume bool) func([]byte) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case c.Service == "route53" && c.Operation == "GetHealthCheckStatus" && o.checks != nil:
		m := healthCheckStatusPath.FindStringSubmatch(c.Path)
		if m == nil {
			return nil
		}
		if healthy, known := o.checks(m[1]); !known || healthy {
			return nil
		}
		return rewriteHealthCheckStatus
	case c.Service == "cloudformation" && len(o.stacks) > 0 &&
		(c.Operation == "DescribeStacks" || c.Operation == "ListStacks"):
		stacks := clone(o.stacks)
		return func(b []byte) []byte { return rewriteStacks(b, stacks) }
	case c.Service == "cloudformation" && len(o.stacks) > 0 && c.Operation == "DescribeStackEvents":
		stacks := clone(o.stacks)
		return func(b []byte) []byte { return rewriteStackEvents(b, stacks) }
	case c.Service == "elasticloadbalancing" && len(o.targets) > 0 && c.Operation == "DescribeTargetHealth":
		group := c.Params.Get("TargetGroupArn")
		targets := map[string]TargetHealth{}
		for key, h := range o.targets { // those for every group first, then this group's over them
			if h.TargetGroup == "" {
				targets[key] = h
			}
		}
		for key, h := range o.targets {
			if h.TargetGroup != "" && h.TargetGroup == group {
				targets[strings.TrimPrefix(key, group+" ")] = h
			}
		}
		for id, h := range o.targets { // this answer is one of those an override lasts for
			if !consume {
				break
			}
			if h.TargetGroup != "" && h.TargetGroup != group {
				continue
			}
			if h.Answers == 1 {
				delete(o.targets, id)
			} else if h.Answers > 1 {
				h.Answers--
				o.targets[id] = h
			}
		}
		return func(b []byte) []byte { return rewriteTargetHealth(b, targets) }
	}
	return nil
}

func clone[V any](m map[string]V) map[string]V {
	c := make(map[string]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// rewriteStacks sets the status and reason of the overridden stacks in a DescribeStacks
// or ListStacks answer.
func rewriteStacks(body []byte, stacks map[string]StackStatus) []byte {
	return rewriteMembers(body, func(m string) string {
		s, ok := stacks[element(m, "StackName")]
		if !ok {
			return m
		}
		m = removeElement(m, "StackStatusReason")
		reason := ""
		if s.Reason != "" {
			reason = "<StackStatusReason>" + html.EscapeString(s.Reason) + "</StackStatusReason>"
		}
		return replaceElement(m, "StackStatus", s.Status, reason)
	})
}

// rewriteStackEvents adds, for an overridden stack, its resource's CREATE_FAILED event
// and the stack's own event with the overridden status, newest first as CloudFormation lists them.
func rewriteStackEvents(body []byte, stacks map[string]StackStatus) []byte {
	text := string(body)
	open := strings.Index(text, "<StackEvents>")
	if open < 0 {
		return body
	}
	open += len("<StackEvents>")
	first := text[open:]
	name := element(first, "StackName")
	s, ok := stacks[name]
	if !ok {
		return body
	}
	stackID := element(first, "StackId")
	now := time.Now().UTC()
	event := func(at time.Time, logicalID, physicalID, typ, status string) string {
		return fmt.Sprintf("<member><StackId>%s</StackId><EventId>%s</EventId><StackName>%s</StackName>"+
			"<LogicalResourceId>%s</LogicalResourceId><PhysicalResourceId>%s</PhysicalResourceId>"+
			"<ResourceType>%s</ResourceType><Timestamp>%s</Timestamp><ResourceStatus>%s</ResourceStatus>"+
			"<ResourceStatusReason>%s</ResourceStatusReason></member>",
			stackID, newRequestID(), html.EscapeString(name), html.EscapeString(logicalID), html.EscapeString(physicalID),
			html.EscapeString(typ), at.Format("2006-01-02T15:04:05.000000Z"), status, html.EscapeString(s.Reason))
	}
	added := event(now, name, stackID, "AWS::CloudFormation::Stack", s.Status) +
		event(now.Add(-time.Millisecond), s.LogicalResourceID, "", s.ResourceType, "CREATE_FAILED")
	return []byte(text[:open] + added + text[open:])
}

// rewriteTargetHealth sets the health of the overridden targets in a DescribeTargetHealth answer.
func rewriteTargetHealth(body []byte, targets map[string]TargetHealth) []byte {
	return rewriteMembers(body, func(m string) string {
		h, ok := targets[element(m, "Id")]
		if !ok {
			if h, ok = targets["*"]; !ok {
				return m
			}
		}
		health := "<TargetHealth><State>" + html.EscapeString(h.State) + "</State>"
		if h.Reason != "" {
			health += "<Reason>" + html.EscapeString(h.Reason) + "</Reason>"
		}
		if h.Description != "" {
			health += "<Description>" + html.EscapeString(h.Description) + "</Description>"
		}
		health += "</TargetHealth>"
		if i, j := span(m, "TargetHealth"); i >= 0 {
			return m[:i] + health + m[j:]
		}
		return strings.Replace(m, "</member>", health+"</member>", 1)
	})
}

// rewriteMembers applies edit to every outermost <member> element of an XML document.
func rewriteMembers(body []byte, edit func(member string) string) []byte {
	text := string(body)
	var out strings.Builder
	depth, start, last := 0, 0, 0
	for i := 0; i < len(text); i++ {
		switch {
		case strings.HasPrefix(text[i:], "<member>"):
			if depth == 0 {
				start = i
			}
			depth++
		case strings.HasPrefix(text[i:], "</member>"):
			depth--
			if depth == 0 {
				end := i + len("</member>")
				out.WriteString(text[last:start])
				out.WriteString(edit(text[start:end]))
				last = end
			}
		}
	}
	out.WriteString(text[last:])
	return []byte(out.String())
}

// span returns where the first <name> element of s starts and ends, or -1, -1.
func span(s, name string) (int, int) {
	i := strings.Index(s, "<"+name+">")
	if i < 0 {
		return -1, -1
	}
	j := strings.Index(s[i:], "</"+name+">")
	if j < 0 {
		return -1, -1
	}
	return i, i + j + len("</"+name+">")
}

// element returns the unescaped text of the first <name> element of s.
func element(s, name string) string {
	i, j := span(s, name)
	if i < 0 {
		return ""
	}
	return html.UnescapeString(s[i+len("<"+name+">") : j-len("</"+name+">")])
}

// removeElement removes the first <name> element of s.
func removeElement(s, name string) string {
	if i, j := span(s, name); i >= 0 {
		return s[:i] + s[j:]
	}
	return s
}

// replaceElement sets the text of the first <name> element of s and puts after it.
func replaceElement(s, name, text, after string) string {
	i, j := span(s, name)
	if i < 0 {
		return s
	}
	return s[:i] + "<" + name + ">" + html.EscapeString(text) + "</" + name + ">" + after + s[j:]
}
