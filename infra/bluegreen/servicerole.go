package bluegreen

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

//go:generate go run ./internal/servicerolegen -out serviceroles.json

// serviceRolesJSON holds, per resource type, its resource provider's create, update, delete and tagging permissions,
// generated from the providers' published schemas (see internal/servicerolegen).
//
//go:embed serviceroles.json
var serviceRolesJSON []byte

// providerPermissions is one type's entry of serviceroles.json.
type providerPermissions struct {
	Create  []string `json:"create"`
	Update  []string `json:"update"`
	Delete  []string `json:"delete"`
	Tagging []string `json:"tagging"`
}

var serviceRoleTypes = func() map[string]providerPermissions {
	var f struct {
		Types map[string]providerPermissions `json:"types"`
	}
	if err := json.Unmarshal(serviceRolesJSON, &f); err != nil {
		panic("bluegreen: serviceroles.json: " + err.Error())
	}
	return f.Types
}()

// ServiceRoleTypes returns the resource types NewAppServiceRole knows, sorted.
func ServiceRoleTypes() []string { return slices.Sorted(maps.Keys(serviceRoleTypes)) }

// AppServiceRoleProps configure an app's CloudFormation service role.
type AppServiceRoleProps struct {
	// App is the app's name (set by the deployer from AppProps.Name).
	App string `json:"-"`
	// ResourceTypes are the resource types of the app's template (AWS::ECS::Service, ...), each one of
	// ServiceRoleTypes.
	ResourceTypes []string `json:"resourceTypes"`
	// Statements are added as they are: what the template needs beyond its types' providers — a role its stacks
	// pass but do not create (iam:PassRole and iam:GetRole on it), a customer managed KMS key, a type not vendored.
	Statements []awsiam.PolicyStatement `json:"-"`
}

// Validate reports an invalid app name, no resource types and every type that is not one of ServiceRoleTypes.
func (p AppServiceRoleProps) Validate() error {
	var problems []string
	if err := records.ValidateAppName(p.App); err != nil {
		problems = append(problems, err.Error())
	}
	if len(p.ResourceTypes) == 0 {
		problems = append(problems, "no resource types: list the resource types of the app's template")
	}
	var unknown []string
	for _, t := range p.ResourceTypes {
		if _, ok := serviceRoleTypes[t]; !ok {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("service role: resource types %s are not among the vendored ones (%s): add their permissions as statements, or the types to internal/servicerolegen and go generate",
			strings.Join(unknown, ", "), strings.Join(ServiceRoleTypes(), ", ")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("app %q: %s", p.App, strings.Join(problems, "; "))
	}
	return nil
}

// Actions returns every action the providers of the props' types need: the union of each type's create, update,
// delete and tagging permissions, sorted.
func (p AppServiceRoleProps) Actions() []string {
	var out []string
	for _, t := range p.ResourceTypes {
		pp := serviceRoleTypes[t]
		out = append(append(append(append(out, pp.Create...), pp.Update...), pp.Delete...), pp.Tagging...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AppServiceRole is an app's CloudFormation service role: the role the deployer creates the app's stacks with, so
// that the deployer itself needs no rights on the app's resources.
type AppServiceRole struct {
	constructs.Construct
	Role awsiam.Role
}

// IAM actions of the vendored types, by the resource they act on. CloudFormation names the roles and instance
// profiles a stack creates <stack name>-<logical id>-<suffix>, and the deployer never passes CAPABILITY_NAMED_IAM, so
// an app's stacks can only create IAM resources whose names start with <app>-<stack id>-: these actions are limited
// to those (and service-linked roles to their own path). Only the stacks' own roles can be passed.
var (
	roleActions = []string{
		"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
		"iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:GetRole", "iam:GetRolePolicy",
		"iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:PassRole", "iam:PutRolePermissionsBoundary",
		"iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
		"iam:UpdateRoleDescription",
	}
	instanceProfileActions = []string{
		"iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
		"iam:GetInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
	}
	serviceLinkedRoleActions = []string{"iam:CreateServiceLinkedRole"}
)

// Reasons of the service role's deliberate AwsSolutions-IAM5 findings.
const (
	reasonServiceRoleResources = "The resource providers' own handler permissions for the template's resource types (published schemas, serviceroles.json): CloudFormation creates the resources, whose names and ARNs exist only then, so AWS's providers list them on Resource *."
	reasonServiceRoleActions   = "Wildcard actions exactly as the resource providers' published schemas list them (serviceroles.json), not widened here."
	reasonServiceRoleIAM       = "IAM resources the app's stacks create: CloudFormation names them <stack name>-<logical id>-<suffix>, the stack names are <app>-<6-character id> and named IAM is never allowed; service-linked roles live under role/aws-service-role/."
)

// NewAppServiceRole builds an app's least-privilege CloudFormation service role from its template's resource types:
// the create, update, delete and tagging permissions their resource providers publish (every stack the deployer
// creates carries its stack tags, which CloudFormation applies to the resources it creates, so each service's tagging
// permission is needed), IAM actions limited to the IAM resources the app's stacks create, and the props' extra
// statements. It is assumed by CloudFormation only. It panics, naming them, on types it does not know; call
// props.Validate first to report that cleanly.
func NewAppServiceRole(scope constructs.Construct, id string, props *AppServiceRoleProps) *AppServiceRole {
	if err := props.Validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("cloudformation.amazonaws.com"), nil),
		Description: jsii.String("bluegreen " + props.App + ": CloudFormation service role of its stacks"),
	})
	stackIAM := props.App + "-" + strings.Repeat("?", records.StackIDLen) + "-*"
	iamARN := func(resource, name string) *string {
		return awscdk.Stack_Of(c).FormatArn(&awscdk.ArnComponents{Service: jsii.String("iam"), Region: jsii.String(""),
			Resource: jsii.String(resource), ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	}
	scopes := []iamScope{
		{sid: "StackRoles", actions: roleActions, resource: iamARN("role", stackIAM), finding: "role/" + stackIAM},
		{sid: "StackInstanceProfiles", actions: instanceProfileActions, resource: iamARN("instance-profile", stackIAM), finding: "instance-profile/" + stackIAM},
		{sid: "ServiceLinkedRoles", actions: serviceLinkedRoleActions, resource: iamARN("role", "aws-service-role/*"), finding: "role/aws-service-role/*"},
	}
	actions := props.Actions()
	rest, scoped, err := splitByScope(actions, scopes)
	if err != nil {
		panic(fmt.Errorf("bluegreen: service role of app %s: %w", props.App, err))
	}
	suppressions := []*cdknag.NagPackSuppression{iam5(reasonServiceRoleResources, "Resource::*")}
	if len(rest) > 0 {
		role.AddToPrincipalPolicy(statement("Resources", rest, star(), nil))
	}
	var findings []string
	for i, in := range scoped {
		if len(in) > 0 {
			role.AddToPrincipalPolicy(statement(scopes[i].sid, in, []*string{scopes[i].resource}, nil))
			findings = append(findings, "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:"+scopes[i].finding)
		}
	}
	if len(findings) > 0 {
		suppressions = append(suppressions, iam5(reasonServiceRoleIAM, findings...))
	}
	var wildcards []string
	for _, a := range actions {
		if strings.Contains(a, "*") {
			wildcards = append(wildcards, "Action::"+a)
		}
	}
	if len(wildcards) > 0 {
		suppressions = append(suppressions, iam5(reasonServiceRoleActions, wildcards...))
	}
	for _, s := range props.Statements {
		role.AddToPrincipalPolicy(s)
	}
	suppress(role, suppressions...)
	return &AppServiceRole{Construct: c, Role: role}
}

// addServiceRoles builds the service roles of the apps that ask for one, and stores each role's ARN in its app's
// configuration.
func (d *Deployer) addServiceRoles() {
	d.ServiceRoles = map[string]*AppServiceRole{}
	for _, a := range d.apps {
		if a.ServiceRole == nil {
			continue
		}
		props := *a.ServiceRole
		props.App = a.Name
		a.serviceRole = NewAppServiceRole(d.Construct, "ServiceRole"+a.Name, &props)
		d.ServiceRoles[a.Name] = a.serviceRole
		a.stored.ServiceRoleARN = a.roleARN()
		data, err := json.Marshal(a.stored)
		if err != nil {
			panic(err) // unreachable: planApp encoded the same configuration
		}
		a.json = string(data)
	}
}

// iamScope is where some IAM actions may act: a statement of its own on one resource pattern.
type iamScope struct {
	sid, finding string
	actions      []string
	resource     *string
}

// splitByScope divides actions into those on Resource * (every non-IAM action) and those of each scope; an IAM action
// of no scope is an error, so that no IAM action ever lands on Resource *.
func splitByScope(actions []string, scopes []iamScope) (rest []string, scoped [][]string, err error) {
	scoped = make([][]string, len(scopes))
	var unscoped []string
	for _, a := range actions {
		if !strings.HasPrefix(a, "iam:") {
			rest = append(rest, a)
			continue
		}
		i := slices.IndexFunc(scopes, func(s iamScope) bool { return slices.Contains(s.actions, a) })
		if i < 0 {
			unscoped = append(unscoped, a)
			continue
		}
		scoped[i] = append(scoped[i], a)
	}
	if len(unscoped) > 0 {
		return nil, nil, fmt.Errorf("IAM actions %s have no resource scope in servicerole.go", strings.Join(unscoped, ", "))
	}
	return rest, scoped, nil
}
