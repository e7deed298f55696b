package localaws_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// targetsTemplate has a target group with two targets; no Name, so that moto deletes
// the target group with the stack.
const targetsTemplate = `{
  "Resources": {
    "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
    "Targets": {
      "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
      "Properties": {
        "Port": 80, "Protocol": "HTTP", "VpcId": {"Ref": "VPC"}, "TargetType": "ip",
        "Targets": [{"Id": "10.0.0.5", "Port": 8080}, {"Id": "10.0.0.6"}]
      }
    }
  },
  "Outputs": {"TargetGroup": {"Value": {"Ref": "Targets"}}}
}`

// target is a target and its health, as DescribeTargetHealth reports them.
type target struct {
	ID, State, Reason string
	Port              int32
}

// stackTargets creates a stack from targetsTemplate and returns its target group's targets.
func stackTargets(t *testing.T, a *localaws.AWS, stack string) []target {
	t.Helper()
	cfg, _ := a.Config(t.Context())
	cfn := cloudformation.NewFromConfig(cfg)
	if _, err := cfn.CreateStack(t.Context(), &cloudformation.CreateStackInput{
		StackName: aws.String(stack), TemplateBody: aws.String(targetsTemplate)}); err != nil {
		t.Fatalf("create stack %s: %v", stack, err)
	}
	out, err := cfn.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil || len(out.Stacks) != 1 || len(out.Stacks[0].Outputs) != 1 {
		t.Fatalf("describe stack %s: %v %+v", stack, err, out)
	}
	health, err := elbv2.NewFromConfig(cfg).DescribeTargetHealth(t.Context(), &elbv2.DescribeTargetHealthInput{
		TargetGroupArn: out.Stacks[0].Outputs[0].OutputValue})
	if err != nil {
		t.Fatalf("describe target health: %v", err)
	}
	var targets []target
	for _, d := range health.TargetHealthDescriptions {
		targets = append(targets, target{ID: aws.ToString(d.Target.Id), Port: aws.ToInt32(d.Target.Port),
			State: string(d.TargetHealth.State), Reason: string(d.TargetHealth.Reason)})
	}
	slices.SortFunc(targets, func(a, b target) int { return strings.Compare(a.ID, b.ID) })
	return targets
}

func TestStackTargetsAreRegistered(t *testing.T) {
	a := localawstest.Use(t, local)
	want := []target{{ID: "10.0.0.5", Port: 8080, State: "healthy"}, {ID: "10.0.0.6", Port: 80, State: "healthy"}}
	if diff := cmp.Diff(want, stackTargets(t, a, "app-1")); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}

	a.Gateway.SetTargetHealth("10.0.0.6", gateway.TargetHealth{})
	want[1].State, want[1].Reason = "unhealthy", "Target.FailedHealthChecks"
	if diff := cmp.Diff(want, stackTargets(t, a, "app-2")); diff != "" {
		t.Errorf("targets with 10.0.0.6 made unhealthy (-want +got):\n%s", diff)
	}
}

func TestStackStatusOverride(t *testing.T) {
	a := localawstest.Use(t, local)
	cfg, _ := a.Config(t.Context())
	cfn := cloudformation.NewFromConfig(cfg)
	for _, name := range []string{"app-1", "app-2"} {
		if _, err := cfn.CreateStack(t.Context(), &cloudformation.CreateStackInput{StackName: aws.String(name),
			TemplateBody: aws.String(`{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}`)}); err != nil {
			t.Fatal(err)
		}
	}
	const reason = "The following resource(s) failed to create: [LoadBalancer]."
	a.Gateway.SetStackStatus("app-1", gateway.StackStatus{Status: "CREATE_FAILED", Reason: reason})

	out, err := cfn.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]string{}
	for _, s := range out.Stacks {
		got[aws.ToString(s.StackName)] = [2]string{string(s.StackStatus), aws.ToString(s.StackStatusReason)}
	}
	want := map[string][2]string{"app-1": {"CREATE_FAILED", reason}, "app-2": {"CREATE_COMPLETE", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stack statuses (-want +got):\n%s", diff)
	}

	events, err := cfn.DescribeStackEvents(t.Context(), &cloudformation.DescribeStackEventsInput{StackName: aws.String("app-1")})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, e := range events.StackEvents {
		if e.ResourceStatus == cfntypes.ResourceStatusCreateFailed {
			failed = append(failed, aws.ToString(e.LogicalResourceId)+": "+aws.ToString(e.ResourceStatusReason))
		}
	}
	if diff := cmp.Diff([]string{"app-1: " + reason, "LoadBalancer: " + reason}, failed); diff != "" {
		t.Errorf("CREATE_FAILED events (-want +got):\n%s", diff)
	}

	// The SDK's waiter sees the failure at once.
	waiter := cloudformation.NewStackCreateCompleteWaiter(cfn)
	err = waiter.Wait(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String("app-1")}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "Failure") {
		t.Errorf("create-complete waiter on a CREATE_FAILED stack: %v, want a failure state error", err)
	}
}
