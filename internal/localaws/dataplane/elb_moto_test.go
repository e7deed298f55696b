package dataplane_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// lbTemplate is an Application Load Balancer forwarding to a target group; %TARGETS% is the group's Targets.
const lbTemplate = `{
  "Resources": {
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
    "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"}},
    "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-1b"}},
    "LoadBalancer": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "Properties": {"Type": "application", "Scheme": "internet-facing", "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}},
    "TargetGroup": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
      "Properties": {"VpcId": {"Ref": "Vpc"}, "Port": 80, "Protocol": "HTTP", "TargetType": "ip", "Targets": %TARGETS%}},
    "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener",
      "Properties": {"LoadBalancerArn": {"Ref": "LoadBalancer"}, "Port": 80, "Protocol": "HTTP",
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]}}
  },
  "Outputs": {"DNSName": {"Value": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}}, "TargetGroup": {"Value": {"Ref": "TargetGroup"}}}
}`

// loadBalancer creates a stack with a load balancer whose target group holds targets (IP addresses; none: an
// empty group), and returns the load balancer's DNS name and the target group's ARN.
func loadBalancer(t *testing.T, a *localaws.AWS, stack string, targets ...string) (dnsName, targetGroup string) {
	t.Helper()
	var list []string
	for _, ip := range targets {
		list = append(list, `{"Id": "`+ip+`", "Port": 80}`)
	}
	cfg, _ := a.Config(t.Context())
	cfn := cloudformation.NewFromConfig(cfg)
	body := strings.Replace(lbTemplate, "%TARGETS%", "["+strings.Join(list, ", ")+"]", 1)
	if _, err := cfn.CreateStack(t.Context(), &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(body)}); err != nil {
		t.Fatalf("create stack %s: %v", stack, err)
	}
	out, err := cfn.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe stack %s: %v", stack, err)
	}
	for _, o := range out.Stacks[0].Outputs {
		switch aws.ToString(o.OutputKey) {
		case "DNSName":
			dnsName = strings.ToLower(aws.ToString(o.OutputValue))
		case "TargetGroup":
			targetGroup = aws.ToString(o.OutputValue)
		}
	}
	if dnsName == "" || targetGroup == "" || out.Stacks[0].StackStatus != cfntypes.StackStatusCreateComplete {
		t.Fatalf("stack %s: %+v", stack, out.Stacks[0])
	}
	return dnsName, targetGroup
}

// resolverFor gives each load balancer named an address of its own.
func resolverFor(addrs map[string]string) lbaddr.Resolver {
	return func(_ context.Context, host, port string) (netip.AddrPort, error) {
		a, ok := addrs[strings.ToLower(host)]
		if !ok {
			return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port}
		}
		return netip.AddrPortFrom(netip.MustParseAddr(a), 8080), nil
	}
}

// The host's weighted aliases evaluate target health, down to the load balancers: a load balancer whose only target
// the gateway reports unhealthy loses its traffic to the other within about a second, and a load balancer whose
// target group has no targets is unhealthy. The data plane's ELB reads neither appear in the request log nor use up
// an override limited to some answers. The load balancers' own names are answered too, with LoadBalancerTTL.
func TestLoadBalancerHealth(t *testing.T) {
	a := localawstest.Use(t, local)
	blue, _ := loadBalancer(t, a, "demoapp-111111", "10.0.1.10")
	green, greenTG := loadBalancer(t, a, "demoapp-222222", "10.0.2.10")
	empty, _ := loadBalancer(t, a, "demoapp-333333")
	a.DataPlane.SetLoadBalancers(resolverFor(map[string]string{blue: "127.0.0.2", green: "127.0.0.3", empty: "127.0.0.4"}))
	t.Cleanup(func() { a.DataPlane.SetLoadBalancers(nil) })

	id := createZone(t, a, "example.com")
	change(t, a, id,
		aliasSet("demoapp-111111.example.com", "Z35SXDOTRQ7X7K", blue, true),
		aliasSet("demoapp-222222.example.com", "Z35SXDOTRQ7X7K", green, true),
		aliasSet("demoapp-333333.example.com", "Z35SXDOTRQ7X7K", empty, true))
	change(t, a, id,
		weightedSet(aliasSet("demoapp.example.com", id, "demoapp-111111.example.com", true), "demoapp-blue", 255),
		weightedSet(aliasSet("demoapp.example.com", id, "demoapp-222222.example.com", true), "demoapp-green", 1),
		weightedSet(aliasSet("other.example.com", id, "demoapp-333333.example.com", true), "other-a", 255),
		weightedSet(aliasSet("other.example.com", id, "demoapp-222222.example.com", true), "other-b", 1))
	a.Gateway.ResetLog()
	server := a.DataPlane.Addr()
	answers := func(name string) map[string]int {
		got := map[string]int{}
		for range 40 {
			for _, l := range lines(ask(t, server, "udp", name, dns.TypeA).Answer) {
				got[l]++
			}
		}
		return got
	}
	if got := answers("demoapp.example.com"); got["demoapp.example.com. 2 IN A 127.0.0.2"] < 35 {
		t.Errorf("both healthy, 255 to 1: %v, want blue (127.0.0.2) nearly always", got)
	}
	if got := answers("other.example.com"); got["other.example.com. 2 IN A 127.0.0.3"] != 40 {
		t.Errorf("a load balancer without targets, 255 to 1: %v, want only the other (127.0.0.3)", got)
	}

	a.Gateway.SetTargetHealth("10.0.1.10", gateway.TargetHealth{State: "unhealthy"})
	waitFor(t, 2*time.Second, func() bool {
		got := answers("demoapp.example.com")
		return got["demoapp.example.com. 2 IN A 127.0.0.3"] == 40
	}, "all answers for green once blue's target is unhealthy")

	a.Gateway.SetTargetHealth("10.0.2.10", gateway.TargetHealth{State: "unhealthy", Answers: 1})
	time.Sleep(time.Second) // the data plane reads green's target health several times meanwhile
	cfg, _ := a.Config(t.Context())
	out, err := elbv2.NewFromConfig(cfg).DescribeTargetHealth(t.Context(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(greenTG)})
	if err != nil || len(out.TargetHealthDescriptions) != 1 || out.TargetHealthDescriptions[0].TargetHealth.State != "unhealthy" {
		t.Errorf("the test's own DescribeTargetHealth after the data plane's: %+v %v, want the override's one unhealthy answer", out, err)
	}
	if n := a.Gateway.CountAll("elasticloadbalancing", ""); n != 1 {
		t.Errorf("ELB calls in the request log: %d, want 1 (the test's own)", n)
	}

	in := ask(t, server, "tcp", strings.ToUpper(green), dns.TypeA)
	if got := lines(in.Answer); len(got) != 1 || got[0] != strings.ToUpper(green)+". 2 IN A 127.0.0.3" || !in.Authoritative {
		t.Errorf("a load balancer's own name: %v aa=%v, want its address with TTL 2", got, in.Authoritative)
	}
	// A CNAME to a load balancer: the server answers the CNAME, and Resolve asks again for the load balancer's name.
	change(t, a, id, simple("cname.example.com", r53types.RRTypeCname, 60, green))
	waitFor(t, 2*time.Second, func() bool { return len(ask(t, server, "udp", "cname.example.com", dns.TypeA).Answer) == 1 }, "cname.example.com")
	addrs, ttl, err := dataplane.Resolve(t.Context(), server, "cname.example.com")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("127.0.0.3") || ttl != 2*time.Second {
		t.Errorf("Resolve cname.example.com: %v %v %v, want [127.0.0.3] 2s (the smaller TTL)", addrs, ttl, err)
	}
	if in := ask(t, server, "udp", "nope-1.us-east-1.elb.amazonaws.com", dns.TypeA); in.Rcode != dns.RcodeRefused {
		t.Errorf("a load balancer that does not exist: %s, want REFUSED", dns.RcodeToString[in.Rcode])
	}
}
