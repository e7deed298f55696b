package bluegreen

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const arnPrefix = "arn:aws:cloudformation:us-east-1:123456789012:stack/"

// Every action each Lambda may call: the IAM model, one line per function. A change here is a change of the model.
func TestFunctionActions(t *testing.T) {
	common := []string{"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"}
	route53 := []string{"route53:ChangeResourceRecordSets", "route53:GetChange", "route53:GetHostedZone", "route53:ListResourceRecordSets"}
	want := map[string][]string{
		"createstack": append(append([]string{
			"cloudformation:CreateStack", "cloudformation:DeleteStack", "cloudformation:DescribeStackEvents",
			"cloudformation:DescribeStacks", "cloudformation:ListStacks", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem",
			"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups", "iam:PassRole",
			"s3:GetObject", "s3:GetObjectVersion", "ssm:GetParameter", "states:DescribeExecution", "states:StartExecution",
		}, route53...), common...),
		"healthcheck": append([]string{
			"cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "elasticloadbalancing:DescribeLoadBalancers",
			"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
		}, common...),
		"shiftweight": append(append([]string{"dynamodb:GetItem", "dynamodb:UpdateItem", "sns:Publish"}, route53...), common...),
		"switch":      append(append([]string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, route53...), common...),
		"rollback":    append(append([]string{"cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks", "cloudformation:ListStacks", "dynamodb:GetItem"}, route53...), common...),
	}
	pol := base.policies()
	for _, name := range FunctionNames {
		if diff := cmp.Diff(actions(pol[base.ids.roles[name]]), slices.Sorted(slices.Values(want[name]))); diff != "" {
			t.Errorf("%s may call (-got +want):\n%s", name, diff)
		}
	}
}

// The state machine may invoke exactly the five functions (unqualified ARNs, no :*), write the lock table and
// publish to the topic; nothing else but the logging and tracing the CDK adds.
func TestStateMachineRole(t *testing.T) {
	s := base
	var fns []string
	for _, name := range FunctionNames {
		fns = append(fns, "{"+s.ids.functions[name]+".Arn}")
	}
	slices.Sort(fns)
	want := map[string][]string{
		"lambda:InvokeFunction": fns,
		"dynamodb:PutItem":      {"{" + s.ids.table + ".Arn}"},
		"dynamodb:UpdateItem":   {"{" + s.ids.table + ".Arn}"},
		"dynamodb:DeleteItem":   {"{" + s.ids.table + ".Arn}"},
		"sns:Publish":           {"{Ref:" + s.ids.topic + "}"},
	}
	if diff := cmp.Diff(stateMachineGrants(t, "state machine role", s.policies()[s.ids.smRole]), want); diff != "" {
		t.Errorf("state machine role (-got +want):\n%s", diff)
	}
}

// stateMachineGrants returns a state machine role's resources by action, failing the test on an action on * that is
// not the CDK's logging and tracing.
func stateMachineGrants(t *testing.T, role string, statements []stmt) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, st := range statements {
		for _, a := range st.Actions {
			if slices.Equal(st.Resources, []string{"*"}) {
				if !slices.Contains(sfnWildcardActions, a) {
					t.Errorf("%s: %s on *", role, a)
				}
				continue
			}
			got[a] = append(got[a], st.Resources...)
		}
	}
	return got
}

// sfnWildcardActions are what the CDK grants a state machine for logging and tracing.
var sfnWildcardActions = []string{
	"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
	"logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
	"xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
}

// Route 53 changes: only in the configured zones, only the apps' record names, only A, CNAME and TXT.
func TestRoute53ChangesScoped(t *testing.T) {
	wantNames := map[string][]string{
		"arn:aws:route53:::hostedzone/" + zoneCom: {
			"demoapp.example.com", "stack.blue.demoapp.example.com", "stack.green.demoapp.example.com",
			"stack.active.demoapp.example.com", "stack.fence.demoapp.example.com", "demoapp-??????.example.com",
			"www.example.com", "stack.blue.shop.example.com", "stack.green.shop.example.com",
			"stack.active.shop.example.com", "stack.fence.shop.example.com", "shop-??????.example.com",
		},
		"arn:aws:route53:::hostedzone/" + zoneOrg: {
			"example.org", "stack.blue.apex.example.org", "stack.green.apex.example.org",
			"stack.active.apex.example.org", "stack.fence.apex.example.org", "apex-??????.example.org",
		},
	}
	pol := base.policies()
	for _, name := range FunctionNames {
		got := map[string][]string{}
		for _, st := range pol[base.ids.roles[name]] {
			if !slices.Contains(st.Actions, "route53:ChangeResourceRecordSets") {
				continue
			}
			if len(st.Actions) != 1 || len(st.Resources) != 1 {
				t.Errorf("%s: a change statement with more: %+v", name, st)
				continue
			}
			types := st.Condition["ForAllValues:StringEquals"].(map[string]any)[condRecordTypes]
			if diff := cmp.Diff(strs(types), []string{"A", "CNAME", "TXT"}); diff != "" {
				t.Errorf("%s: record types (-got +want):\n%s", name, diff)
			}
			actions := st.Condition["ForAllValues:StringEquals"].(map[string]any)[condActions]
			if diff := cmp.Diff(strs(actions), []string{"CREATE", "DELETE"}); diff != "" {
				t.Errorf("%s: change actions (-got +want, never UPSERT):\n%s", name, diff)
			}
			names := st.Condition["ForAllValues:StringLike"].(map[string]any)[condRecordNames]
			got[st.Resources[0]] = strs(names)
			if len(st.Condition) != 2 {
				t.Errorf("%s: conditions %v", name, st.Condition)
			}
		}
		if name == "healthcheck" {
			if len(got) != 0 {
				t.Errorf("healthcheck may change records: %v", got)
			}
			continue
		}
		want := map[string][]string{}
		for zone, names := range wantNames {
			want[zone] = slices.Sorted(slices.Values(names))
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%s: record names per zone (-got +want):\n%s", name, diff)
		}
	}
}

// CloudFormation: every stack action on the apps' stack names only; CreateStack only with the app's service role;
// iam:PassRole only for those roles, only to CloudFormation.
func TestStacksAndPassRoleScoped(t *testing.T) {
	stacks := []string{arnPrefix + "apex-??????/*", arnPrefix + "demoapp-??????/*", arnPrefix + "shop-??????/*"}
	pol := base.policies()
	creates := map[string]any{}
	for _, name := range FunctionNames {
		for _, st := range pol[base.ids.roles[name]] {
			for _, a := range st.Actions {
				switch {
				case a == "cloudformation:ListStacks":
				case a == "cloudformation:CreateStack":
					if len(st.Resources) != 1 {
						t.Errorf("%s: CreateStack on %v", name, st.Resources)
						continue
					}
					creates[st.Resources[0]] = st.Condition
				case strings.HasPrefix(a, "cloudformation:"):
					if diff := cmp.Diff(st.Resources, stacks); diff != "" {
						t.Errorf("%s: %s on (-got +want):\n%s", name, a, diff)
					}
				case a == "iam:PassRole":
					if diff := cmp.Diff(st.Resources, []string{roleA, roleB}); diff != "" {
						t.Errorf("%s: PassRole on (-got +want):\n%s", name, diff)
					}
					want := map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}}
					if diff := cmp.Diff(st.Condition, want); diff != "" {
						t.Errorf("%s: PassRole condition (-got +want):\n%s", name, diff)
					}
				}
			}
		}
	}
	role := func(arn string) any {
		return map[string]any{"StringEquals": map[string]any{"cloudformation:RoleArn": arn}}
	}
	want := map[string]any{
		arnPrefix + "demoapp-??????/*": role(roleA),
		arnPrefix + "shop-??????/*":    role(roleB),
		arnPrefix + "apex-??????/*":    map[string]any(nil), // noServiceRole
	}
	if diff := cmp.Diff(creates, want); diff != "" {
		t.Errorf("CreateStack statements (-got +want):\n%s", diff)
	}
}

// The reads the createstack Lambda makes of other resources: exactly the configured template objects, the apps'
// parameters, this state machine's executions.
func TestCreateStackReads(t *testing.T) {
	got := map[string][]string{}
	for _, st := range base.policies()[base.ids.roles["createstack"]] {
		for _, a := range st.Actions {
			if strings.HasPrefix(a, "s3:") || a == "ssm:GetParameter" || a == "states:DescribeExecution" {
				got[a] = st.Resources
			}
		}
	}
	templates := []string{"arn:aws:s3:::templates-123/demoapp/service.yaml", "arn:aws:s3:::templates-123/shop/service.yaml"}
	params := []string{
		"arn:aws:ssm:us-east-1:123456789012:parameter{Ref:" + base.ids.params["apex"] + "}",
		"arn:aws:ssm:us-east-1:123456789012:parameter{Ref:" + base.ids.params["demoapp"] + "}",
		"arn:aws:ssm:us-east-1:123456789012:parameter{Ref:" + base.ids.params["shop"] + "}",
	}
	want := map[string][]string{
		"s3:GetObject":             templates,
		"s3:GetObjectVersion":      templates,
		"ssm:GetParameter":         params,
		"states:DescribeExecution": {"arn:aws:states:us-east-1:123456789012:execution:" + DefaultStateMachineName + ":*"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("createstack reads (-got +want):\n%s", diff)
	}
}

// Every statement of the deployer's own roles on Resource "*", in every stack, grants only actions that AWS offers
// no resource-level permission for. (An app's service role grants its providers' permissions: TestServiceRoleStatements.)
func TestWildcardResourcesAllowListed(t *testing.T) {
	allowed := slices.Concat(WildcardActions, sfnWildcardActions)
	for _, s := range []*synthesized{base, withPipeline, extended} {
		for role, statements := range s.policies() {
			if slices.Contains(slices.Collect(maps.Values(s.ids.serviceRoles)), role) {
				continue
			}
			for _, st := range statements {
				if !slices.Contains(st.Resources, "*") {
					continue
				}
				for _, a := range st.Actions {
					if !slices.Contains(allowed, a) {
						t.Errorf("%s: %s on Resource *", role, a)
					}
				}
			}
		}
	}
}

// The rules' role may start executions of the deployer's state machine and of the sweeper, nothing else.
func TestEventsRole(t *testing.T) {
	got := base.policies()[base.ids.eventsRole]
	want := []stmt{{Actions: []string{"states:StartExecution"}, Resources: []string{"{Ref:" + base.ids.stateMachine + "}", "{Ref:" + base.ids.sweeper + "}"}}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("events role (-got +want):\n%s", diff)
	}
}

// The sweep: the create-stack function may start executions of the deployer's state machine only (the reconciles,
// by its fixed name: no dependency on it) and scan the lock table; the sweeper may invoke that function only.
func TestSweepRights(t *testing.T) {
	s := base
	starts := map[string][]string{}
	for _, st := range s.policies()[s.ids.roles["createstack"]] {
		for _, a := range st.Actions {
			if a == "states:StartExecution" || a == "dynamodb:Scan" {
				starts[a] = append(starts[a], st.Resources...)
			}
		}
	}
	want := map[string][]string{
		"states:StartExecution": {"arn:aws:states:us-east-1:123456789012:stateMachine:" + DefaultStateMachineName},
		"dynamodb:Scan":         {"{" + s.ids.table + ".Arn}"},
	}
	if diff := cmp.Diff(starts, want); diff != "" {
		t.Errorf("createstack's sweep rights (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(stateMachineGrants(t, "sweeper role", s.policies()[s.ids.sweeperRole]), map[string][]string{"lambda:InvokeFunction": {"{" + s.ids.functions["createstack"] + ".Arn}"}}); diff != "" {
		t.Errorf("sweeper role (-got +want):\n%s", diff)
	}
}

// An app with failover and CNAME endpoints gives the record writers the Route 53 health check calls, and no more:
// CreateHealthCheck and ListHealthChecks on * (no resource-level permission), DeleteHealthCheck on health checks, to
// the functions that delete them only. Without such an app (base) no function has any of them (TestFunctionActions).
func TestHealthCheckActions(t *testing.T) {
	pol := extended.policies()
	for _, name := range FunctionNames {
		got := map[string][]string{}
		for _, st := range pol[extended.ids.roles[name]] {
			for _, a := range st.Actions {
				if strings.Contains(a, "HealthCheck") {
					got[a] = append(got[a], st.Resources...)
				}
			}
		}
		want := map[string][]string{}
		if name != "healthcheck" {
			want["route53:CreateHealthCheck"] = []string{"*"}
			want["route53:ListHealthChecks"] = []string{"*"}
		}
		if name == "createstack" || name == "rollback" {
			want["route53:DeleteHealthCheck"] = []string{"arn:aws:route53:::healthcheck/*"}
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%s's health check grants (-got +want):\n%s", name, diff)
		}
	}
}
