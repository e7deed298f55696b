package bluegreen

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// With HealthCheckVPC the healthcheck function, and only it, runs in the configured subnets with the configured
// security group; without it no function has a VpcConfig.
func TestHealthCheckVPC(t *testing.T) {
	for _, s := range []*synthesized{base, withPipeline, extended} {
		for _, name := range FunctionNames {
			got, in := props(s.resource(t, s.ids.functions[name]))["VpcConfig"]
			switch {
			case s == extended && name == "healthcheck":
				want := map[string]any{"SubnetIds": []any{testVPC.SubnetIDs[0], testVPC.SubnetIDs[1]}, "SecurityGroupIds": []any{testVPC.SecurityGroupID}}
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("healthcheck VpcConfig (-got +want):\n%s", diff)
				}
			case in:
				t.Errorf("%s: %s has a VpcConfig: %v", *s.stack.StackName(), name, got)
			}
		}
	}
}

// In its VPC the healthcheck role may create network interfaces only in the configured subnets with the configured
// security group, and manage the interfaces Lambda made; without the VPC it has no EC2 right at all.
func TestHealthCheckNetworkInterfaces(t *testing.T) {
	const ec2 = "arn:aws:ec2:us-east-1:123456789012:"
	got := map[string][]string{}
	for _, st := range extended.policies()[extended.ids.roles["healthcheck"]] {
		for _, a := range st.Actions {
			if strings.HasPrefix(a, "ec2:") {
				got[a] = st.Resources
			}
		}
	}
	eni := []string{ec2 + "network-interface/*"}
	want := map[string][]string{
		"ec2:CreateNetworkInterface":     {ec2 + "network-interface/*", ec2 + "security-group/" + testVPC.SecurityGroupID, ec2 + "subnet/" + testVPC.SubnetIDs[0], ec2 + "subnet/" + testVPC.SubnetIDs[1]},
		"ec2:DeleteNetworkInterface":     eni,
		"ec2:AssignPrivateIpAddresses":   eni,
		"ec2:UnassignPrivateIpAddresses": eni,
		"ec2:DescribeNetworkInterfaces":  {"*"},
		"ec2:DescribeSubnets":            {"*"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("healthcheck's EC2 rights in its VPC (-got +want):\n%s", diff)
	}
	for _, name := range FunctionNames {
		for _, s := range []*synthesized{base, extended} {
			if name == "healthcheck" && s == extended {
				continue
			}
			if a := actions(s.policies()[s.ids.roles[name]]); slices.ContainsFunc(a, func(a string) bool { return strings.HasPrefix(a, "ec2:") }) {
				t.Errorf("%s: %s may call EC2: %v", *s.stack.StackName(), name, a)
			}
		}
	}
}

// The VPC configuration is validated before anything is built.
func TestValidateRefusesVPCs(t *testing.T) {
	tests := []struct {
		vpc  VPCProps
		want string
	}{
		{VPCProps{SecurityGroupID: testVPC.SecurityGroupID}, "health check VPC: 0 subnets, want 1-16"},
		{VPCProps{SubnetIDs: []string{"subnet-12"}, SecurityGroupID: testVPC.SecurityGroupID}, `"subnet-12" is not a subnet id`},
		{VPCProps{SubnetIDs: []string{testVPC.SubnetIDs[0], testVPC.SubnetIDs[0]}, SecurityGroupID: testVPC.SecurityGroupID}, "subnet subnet-0123456789abcdef0 is given twice"},
		{VPCProps{SubnetIDs: testVPC.SubnetIDs, SecurityGroupID: "default"}, `"default" is not a security group id`},
	}
	for _, tt := range tests {
		p := testProps()
		vpc := tt.vpc
		p.HealthCheckVPC = &vpc
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.vpc, err, tt.want)
		}
	}
}
