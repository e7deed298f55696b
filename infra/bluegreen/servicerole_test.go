package bluegreen

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// vendoredFile is serviceroles.json, read from the file (not through the package's decoding).
type vendoredFile struct {
	Source struct {
		Repository, Ref, Commit, Path string
	}
	Types map[string]struct {
		Schema       string
		SchemaSHA256 string `json:"schemaSha256"`
		TagOnCreate  bool   `json:"tagOnCreate"`
		Create       []string
		Update       []string
		Delete       []string
		Tagging      []string
	}
}

func readVendored(t *testing.T) vendoredFile {
	t.Helper()
	data, err := os.ReadFile("serviceroles.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vendoredFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// The service role of app api, whose template holds apiTypes: exactly its types' create, update, delete and tagging
// permissions as the vendored file lists them, IAM actions only on the roles the app's stacks create, the extra
// statement as given; assumed by CloudFormation only.
func TestServiceRoleStatements(t *testing.T) {
	f := readVendored(t)
	var all []string
	for _, typ := range apiTypes {
		v := f.Types[typ]
		all = slices.Concat(all, v.Create, v.Update, v.Delete, v.Tagging)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var other, iam []string
	for _, a := range all {
		if strings.HasPrefix(a, "iam:") {
			iam = append(iam, a)
		} else {
			other = append(other, a)
		}
	}
	id := extended.ids.serviceRoles["api"]
	got := map[string]stmt{}
	for _, st := range extended.policies()[id] {
		got[st.Sid] = stmt{Actions: st.Actions, Resources: st.Resources, Condition: st.Condition}
	}
	want := map[string]stmt{
		"Resources":           {Actions: other, Resources: []string{"*"}},
		"StackRoles":          {Actions: iam, Resources: []string{"arn:aws:iam::123456789012:role/api-??????-*"}},
		"SharedExecutionRole": {Actions: []string{"iam:GetRole", "iam:PassRole"}, Resources: []string{sharedExecution}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("api's service role (-got +want):\n%s", diff)
	}
	// The stack's tags reach every type that takes them on create: each service's tagging permission is there.
	for _, a := range []string{"ec2:CreateTags", "ecs:TagResource", "elasticloadbalancing:AddTags", "iam:TagRole", "logs:TagResource"} {
		if !slices.Contains(all, a) {
			t.Errorf("the service role lacks %s", a)
		}
	}
	trust := resolve(props(extended.resource(t, id))["AssumeRolePolicyDocument"], nil)
	wantTrust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudformation.amazonaws.com"},
	}}}
	if diff := cmp.Diff(trust, wantTrust); diff != "" {
		t.Errorf("trust policy (-got +want):\n%s", diff)
	}
}

// The deployer stores the role it built as api's serviceRoleArn; createstack may create api's stacks only with it,
// and pass it to CloudFormation.
func TestServiceRoleWiredIntoTheDeployer(t *testing.T) {
	arn := "{" + extended.ids.serviceRoles["api"] + ".Arn}"
	value := resolve(props(extended.resource(t, extended.ids.params["api"]))["Value"], nil).(string)
	var stored struct {
		ServiceRoleARN string `json:"serviceRoleArn"`
	}
	if err := json.Unmarshal([]byte(value), &stored); err != nil || stored.ServiceRoleARN != arn {
		t.Errorf("api's stored configuration %s: serviceRoleArn %q (%v), want %s", value, stored.ServiceRoleARN, err, arn)
	}
	var create, pass stmt
	for _, st := range extended.policies()[extended.ids.roles["createstack"]] {
		switch st.Sid {
		case "CreateStacksapi":
			create = st
		case "PassServiceRoles":
			pass = st
		}
	}
	if diff := cmp.Diff(create.Condition, map[string]any{"StringEquals": map[string]any{"cloudformation:RoleArn": arn}}); diff != "" {
		t.Errorf("CreateStack of api's stacks (-got +want):\n%s", diff)
	}
	if !slices.Contains(pass.Resources, arn) {
		t.Errorf("iam:PassRole on %v, want %s among them", pass.Resources, arn)
	}
}

// An unknown type is refused, naming it: by Validate, by the deployer's props and by the construct (the synth).
func TestServiceRoleRefusesUnknownTypes(t *testing.T) {
	props := AppServiceRoleProps{App: "api", ResourceTypes: []string{"AWS::ECS::Service", "AWS::RDS::DBCluster"}}
	const want = "resource types AWS::RDS::DBCluster are not among the vendored ones"
	if err := props.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate = %v, want %q", err, want)
	}
	p := extendedProps()
	p.Apps[len(p.Apps)-1].ServiceRole.ResourceTypes = props.ResourceTypes
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), `app "api": service role: `+want) {
		t.Errorf("DeployerProps.Validate = %v, want %q", err, want)
	}
	p = extendedProps()
	p.Apps[len(p.Apps)-1].Config.ServiceRoleARN = roleA
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "leave serviceRoleArn and noServiceRole out") {
		t.Errorf("DeployerProps.Validate with both = %v", err)
	}
	err := catch(func() {
		NewAppServiceRole(awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), jsii.String("Apps"), nil), "Api", &props)
	})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("NewAppServiceRole = %v, want a panic saying %q", err, want)
	}
}

// No vendored IAM action lands on Resource *, and a role of every vendored type at once fits IAM's limit on a
// role's inline policies (10,240 characters).
func TestEveryVendoredType(t *testing.T) {
	all := AppServiceRoleProps{App: "api", ResourceTypes: ServiceRoleTypes()}
	scopes := []iamScope{{actions: roleActions}, {actions: instanceProfileActions}, {actions: serviceLinkedRoleActions}}
	rest, scoped, err := splitByScope(all.Actions(), scopes)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Sid": "Resources", "Effect": "Allow", "Action": rest, "Resource": "*"},
	}}
	for _, in := range scoped {
		doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Sid": "StackRolesAndProfiles", "Effect": "Allow", "Action": in,
			"Resource": "arn:aws-us-gov:iam::123456789012:instance-profile/" + strings.Repeat("a", 24) + "-??????-*"})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 10240 {
		t.Errorf("a service role of every vendored type has a policy of %d characters, more than IAM's 10,240", len(data))
	}
}

// serviceroles.json says where it came from, schema by schema, and holds the types an app's stack is typically
// built of.
func TestServiceRolesFileRecordsItsSource(t *testing.T) {
	f := readVendored(t)
	if f.Source.Repository != "github.com/aws-cloudformation/cfn-lint" || f.Source.Ref == "" || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(f.Source.Commit) {
		t.Errorf("source %+v, want cfn-lint's repository, a release and its commit", f.Source)
	}
	sha := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for typ, v := range f.Types {
		if !sha.MatchString(v.SchemaSHA256) || v.Schema == "" || len(v.Create) == 0 || len(v.Delete) == 0 {
			t.Errorf("%s: %+v, want its schema, digest and create and delete permissions", typ, v)
		}
	}
	for _, typ := range []string{
		"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::Listener",
		"AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::EC2::SecurityGroup", "AWS::ECS::Service", "AWS::ECS::TaskDefinition",
		"AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate", "AWS::Lambda::Function", "AWS::Lambda::Permission",
		"AWS::Logs::LogGroup", "AWS::IAM::Role",
	} {
		if _, ok := f.Types[typ]; !ok {
			t.Errorf("serviceroles.json has no %s", typ)
		}
	}
}
