package stacks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// A new stack is checked once per call; when it fails, Reason names the resource that failed first, where
// CloudFormation's own reason only lists every resource that did not get created.
func ExampleManager_Status() {
	cfn := newFakeCFN() // stands in for cloudformation.NewFromConfig(cfg)
	cfn.createStatus = types.StackStatusCreateInProgress
	m := New(cfn, newFakeELB())
	ctx := context.Background()

	_, err := m.Create(ctx, Spec{
		Name: "demo-123456", App: "demo", Color: "green", StackID: "123456", Version: "1.4.2",
		Execution:   "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demo-1",
		TemplateURL: "https://bucket.s3.amazonaws.com/demo.yaml",
		Parameters:  map[string]string{"Version": "1.4.2"},
		RoleARN:     "arn:aws:iam::123456789012:role/demo-cfn",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := m.Status(ctx, "demo-123456")
	fmt.Println(st.Phase, st.StackStatus)

	// CloudFormation fails the service, cancels the load balancer, and (OnFailure DO_NOTHING) stops there.
	cfn.failCreate("demo-123456", "Service", "AWS::ECS::Service", "Invalid request provided: image not found", types.StackStatusCreateFailed)
	st, _ = m.Status(ctx, "demo-123456")
	fmt.Println(st.Phase, st.StackStatus)
	fmt.Println(st.StatusReason)
	fmt.Println(st.Reason)
	// Output:
	// InProgress CREATE_IN_PROGRESS
	// Failed CREATE_FAILED
	// The following resource(s) failed to create: [LoadBalancer, Service].
	// Service (AWS::ECS::Service) CREATE_FAILED: Invalid request provided: image not found
}

// Stacks that no slot names are the ones failed runs kept: the CLI shows them, the next clean-up deletes them.
func ExampleUnslotted() {
	app := []Summary{
		{Name: "demo-111111", StackID: "111111", Status: "CREATE_COMPLETE"},    // blue slot, idle
		{Name: "demo-222222", StackID: "222222", Status: "CREATE_COMPLETE"},    // green slot, live
		{Name: "demo-333333", StackID: "333333", Status: "CREATE_FAILED"},      // a failed run kept it
		{Name: "demo-444444", StackID: "444444", Status: "CREATE_COMPLETE"},    // rolled back after its switch, kept
		{Name: "demo-555555", StackID: "555555", Status: "DELETE_FAILED"},      // its deletion failed
		{Name: "demo-666666", StackID: "666666", Status: "DELETE_IN_PROGRESS"}, // being deleted
	}
	for _, s := range Unslotted(app, "111111", "222222") {
		fmt.Println(s.Name, s.Status)
	}
	// Output:
	// demo-333333 CREATE_FAILED
	// demo-444444 CREATE_COMPLETE
	// demo-555555 DELETE_FAILED
	// demo-666666 DELETE_IN_PROGRESS
}
