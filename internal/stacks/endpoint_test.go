package stacks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

const (
	// lbDNS is a load balancer's DNS name as ELBv2 and the stack's output give it: CloudFormation-made names keep
	// upper-case letters. Endpoint returns it lower-case.
	lbDNS  = "demo-L-LoadB-Q1W2E3R4T5Y6-1234567890.us-east-1.elb.amazonaws.com"
	lbZone = "Z35SXDOTRQ7X7K"
)

var lbDNSLower = strings.ToLower(lbDNS)

func TestEndpoint(t *testing.T) {
	const tgPrefix = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/"
	tests := []struct {
		name       string
		status     types.StackStatus
		outputs    map[string]string
		healthKey  string
		want       Endpoint
		wantErr    error // compared by type and fields
		wantLookup bool  // the load balancers are searched
	}{
		{
			name:    "load balancer: alias target with target groups",
			outputs: map[string]string{"LoadBalancerDNSName": lbDNS, "HealthURL": "http://" + lbDNS + "/health"},
			want: Endpoint{
				DNSName: lbDNSLower, LoadBalancer: true, HostedZoneID: lbZone,
				LoadBalancerARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-123456-lb/50dc6c495c0c9188",
				HealthURL:       "http://" + lbDNS + "/health",
				TargetGroups:    []string{tgPrefix + "tg-a/6d0ecf831eec9f09", tgPrefix + "tg-b/6d0ecf831eec9f09"},
			},
			healthKey:  "HealthURL",
			wantLookup: true,
		},
		{
			name:    "DNS name in another case, with a trailing dot",
			outputs: map[string]string{"LoadBalancerDNSName": strings.ToUpper(lbDNS) + "."},
			want: Endpoint{
				DNSName: lbDNSLower, LoadBalancer: true, HostedZoneID: lbZone,
				LoadBalancerARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-123456-lb/50dc6c495c0c9188",
				TargetGroups:    []string{tgPrefix + "tg-a/6d0ecf831eec9f09", tgPrefix + "tg-b/6d0ecf831eec9f09"},
			},
			healthKey:  "HealthURL", // absent: no health URL
			wantLookup: true,
		},
		{
			name:       "not a load balancer: CNAME only",
			outputs:    map[string]string{"LoadBalancerDNSName": "d111111abcdef8.cloudfront.net"},
			want:       Endpoint{DNSName: "d111111abcdef8.cloudfront.net"},
			wantLookup: true,
		},
		{
			name:    "missing output",
			outputs: map[string]string{"Other": lbDNS},
			wantErr: &MissingOutputError{Stack: "demo-123456", Output: "LoadBalancerDNSName"},
		},
		{
			name:    "empty output",
			outputs: map[string]string{"LoadBalancerDNSName": ""},
			wantErr: &MissingOutputError{Stack: "demo-123456", Output: "LoadBalancerDNSName"},
		},
		{
			name:    "stack still creating",
			status:  types.StackStatusCreateInProgress,
			outputs: map[string]string{"LoadBalancerDNSName": lbDNS},
			wantErr: &NotCompleteError{Stack: "demo-123456", Status: "CREATE_IN_PROGRESS"},
		},
		{
			name:    "stack failed",
			status:  types.StackStatusDeleteFailed,
			outputs: map[string]string{"LoadBalancerDNSName": lbDNS},
			wantErr: &NotCompleteError{Stack: "demo-123456", Status: "DELETE_FAILED"},
		},
		{
			name:    "no stack",
			wantErr: &NotFoundError{Stack: "demo-123456"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn, elb := newFakeCFN(), newFakeELB()
			if tt.outputs != nil {
				status := tt.status
				if status == "" {
					status = types.StackStatusCreateComplete
				}
				cfn.seed("demo-123456", status, map[string]string{TagManaged: "true"}, tt.outputs)
			}
			// Three load balancers, one per page: the stack's is on the last page.
			elb.addLB("other-1", "other-1.us-east-1.elb.amazonaws.com", "Z1", "other-tg")
			elb.addLB("other-2", "other-2.us-east-1.elb.amazonaws.com", "Z2")
			elb.addLB("demo-123456-lb", lbDNS, lbZone, "tg-b", "tg-a")

			got, err := New(cfn, elb).Endpoint(context.Background(), "demo-123456", "LoadBalancerDNSName", tt.healthKey)

			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Endpoint() = %+v, nil; want %v", got, tt.wantErr)
				}
				if diff := cmp.Diff(unwrapNamed(err), tt.wantErr); diff != "" {
					t.Errorf("Endpoint() error (-got +want):\n%s", diff)
				}
				if !strings.Contains(err.Error(), "demo-123456") {
					t.Errorf("error %q does not name the stack", err)
				}
			} else if err != nil {
				t.Fatalf("Endpoint() = %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Endpoint() (-got +want):\n%s", diff)
			}
			if n, want := elb.calls["DescribeLoadBalancers"], map[bool]int{true: 3}[tt.wantLookup]; n != want {
				t.Errorf("DescribeLoadBalancers calls = %d, want %d (one page each)", n, want)
			}
		})
	}
}

// unwrapNamed returns the first of this package's named errors in err's chain, or err.
func unwrapNamed(err error) error {
	var (
		nf *NotFoundError
		nc *NotCompleteError
		mo *MissingOutputError
	)
	switch {
	case errors.As(err, &nf):
		return nf
	case errors.As(err, &nc):
		return nc
	case errors.As(err, &mo):
		return mo
	}
	return err
}

func TestEndpointWrapsELBErrors(t *testing.T) {
	tests := []struct{ op, want string }{
		{"DescribeLoadBalancers", "find the load balancer " + lbDNSLower + " of stack demo-123456: "},
		{"DescribeTargetGroups", "list the target groups of load balancer arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-123456-lb/50dc6c495c0c9188 of stack demo-123456: "},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			cfn := newFakeCFN()
			cfn.seed("demo-123456", types.StackStatusCreateComplete, nil, map[string]string{"DNS": lbDNS})
			elb := newFakeELB()
			elb.addLB("demo-123456-lb", lbDNS, lbZone, "tg")
			elb.errs[tt.op] = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}

			_, err := New(cfn, elb).Endpoint(context.Background(), "demo-123456", "DNS", "")

			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
				t.Fatalf("Endpoint() = %v, want Throttling in the chain", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
		})
	}
}
