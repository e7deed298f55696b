package bluegreen

import (
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/statemachine"
)

func TestFunctions(t *testing.T) {
	s := base
	must(t, "five functions", func() { s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(5)) })
	must(t, "every function: provided.al2023, arm64, 128 MB, JSON logs, X-Ray", func() {
		s.template.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []any{"arm64"},
			"MemorySize":    128,
			"Handler":       "bootstrap",
			"TracingConfig": map[string]any{"Mode": "Active"},
			"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO"}),
		})
	})
	wantTimeout := map[string]float64{"createstack": 120, "healthcheck": 300, "shiftweight": 120, "switch": 120, "rollback": 120}
	for _, name := range FunctionNames {
		p := props(s.resource(t, s.ids.functions[name]))
		if got := p["Timeout"]; got != wantTimeout[name] {
			t.Errorf("%s: timeout %v, want %v", name, got, wantTimeout[name])
		}
		if got := resolve(p["Role"], nil); got != "{"+s.ids.roles[name]+".Arn}" {
			t.Errorf("%s: role %v, want its own role %s", name, got, s.ids.roles[name])
		}
		env := resolve(p["Environment"], nil).(map[string]any)["Variables"].(map[string]any)
		want := map[string]any{"CONFIG_PARAMETER_PREFIX": DefaultConfigPrefix}
		if name != "healthcheck" {
			want["LOCK_TABLE"] = "{Ref:" + s.ids.table + "}"
		}
		if name == "shiftweight" {
			want["NOTIFICATION_TOPIC"] = "{Ref:" + s.ids.topic + "}"
		}
		if diff := cmp.Diff(env, want); diff != "" {
			t.Errorf("%s: environment (-got +want):\n%s", name, diff)
		}
		// Each function logs to its own log group, with the retention.
		logs := resolve(p["LoggingConfig"], nil).(map[string]any)["LogGroup"].(string)
		group := props(s.resource(t, logs[len("{Ref:"):len(logs)-1]))
		if group["RetentionInDays"] != float64(90) {
			t.Errorf("%s: log group retention %v, want 90 days", name, group["RetentionInDays"])
		}
	}
}

func TestStateMachine(t *testing.T) {
	s := base
	p := props(s.resource(t, s.ids.stateMachine))
	if p["StateMachineType"] != "STANDARD" || p["StateMachineName"] != DefaultStateMachineName {
		t.Errorf("type %v name %v, want STANDARD %s", p["StateMachineType"], p["StateMachineName"], DefaultStateMachineName)
	}
	if p["DefinitionString"] != statemachine.Definition {
		t.Errorf("the definition is not the ASL file inlined as written")
	}
	if diff := cmp.Diff(p["TracingConfiguration"], map[string]any{"Enabled": true}); diff != "" {
		t.Errorf("tracing (-got +want):\n%s", diff)
	}
	logging := p["LoggingConfiguration"].(map[string]any)
	if logging["Level"] != "ALL" || logging["IncludeExecutionData"] != false {
		t.Errorf("logging %v, want level ALL without execution data", logging)
	}
	dest := resolve(logging["Destinations"], nil).([]any)[0].(map[string]any)["CloudWatchLogsLogGroup"].(map[string]any)["LogGroupArn"].(string)
	group := props(s.resource(t, dest[1:len(dest)-len(".Arn}")]))
	if group["RetentionInDays"] != float64(90) {
		t.Errorf("state machine log group retention %v, want 90 days", group["RetentionInDays"])
	}
	// Under /aws/vendedlogs/states/ (AWS's advice against the CloudWatch Logs resource policy's size limit), named
	// for the state machine and the stack's UUID.
	name, _ := group["LogGroupName"].(map[string]any)["Fn::Join"].([]any)
	want := []any{"", []any{StateMachineLogPrefix + DefaultStateMachineName + "-", map[string]any{"Fn::Select": []any{float64(0), map[string]any{"Fn::Split": []any{"-",
		map[string]any{"Fn::Select": []any{float64(2), map[string]any{"Fn::Split": []any{"/", map[string]any{"Ref": "AWS::StackId"}}}}}}}}}}}
	if diff := cmp.Diff(name, want); diff != "" {
		t.Errorf("state machine log group name (-got +want):\n%s", diff)
	}
}

// The substitutions are exactly the definition's placeholders, each resolving to its resource.
func TestSubstitutions(t *testing.T) {
	s := base
	subs := resolve(props(s.resource(t, s.ids.stateMachine))["DefinitionSubstitutions"], nil).(map[string]any)
	var keys []string
	for k := range subs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := slices.Sorted(slices.Values(statemachine.Placeholders))
	if diff := cmp.Diff(keys, want); diff != "" {
		t.Errorf("substitution keys (-got +want):\n%s", diff)
	}
	var fns []string
	for name := range statemachine.FunctionPlaceholders {
		fns = append(fns, name)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(FunctionNames)), slices.Sorted(slices.Values(fns))); diff != "" {
		t.Errorf("FunctionNames are not the state machine's functions (-ours +statemachine):\n%s", diff)
	}
	if diff := cmp.Diff(statemachine.Used(), want); diff != "" {
		t.Errorf("the definition's placeholders are not statemachine.Placeholders (-used +list):\n%s", diff)
	}
	wantValues := map[string]any{
		statemachine.LockTable:         "{Ref:" + s.ids.table + "}",
		statemachine.NotificationTopic: "{Ref:" + s.ids.topic + "}",
	}
	for name, ph := range statemachine.FunctionPlaceholders {
		wantValues[ph] = "{" + s.ids.functions[name] + ".Arn}"
	}
	if diff := cmp.Diff(subs, wantValues); diff != "" {
		t.Errorf("substitution values (-got +want):\n%s", diff)
	}
}

func TestLockTable(t *testing.T) {
	s := base
	r := s.resource(t, s.ids.table)
	want := map[string]any{
		"AttributeDefinitions":             []any{map[string]any{"AttributeName": "app", "AttributeType": "S"}},
		"KeySchema":                        []any{map[string]any{"AttributeName": "app", "KeyType": "HASH"}},
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"SSESpecification":                 map[string]any{"SSEEnabled": true},
		"DeletionProtectionEnabled":        true,
	}
	if diff := cmp.Diff(props(r), want); diff != "" {
		t.Errorf("lock table (-got +want):\n%s", diff)
	}
	if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("lock table policies %v/%v, want Retain", r["DeletionPolicy"], r["UpdateReplacePolicy"])
	}
}

func TestArtifactBucket(t *testing.T) {
	s := base
	p := props(s.resource(t, s.ids.bucket))
	checks := map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
		"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		"VersioningConfiguration":        map[string]any{"Status": "Enabled"},
		"NotificationConfiguration":      map[string]any{"EventBridgeConfiguration": map[string]any{"EventBridgeEnabled": true}},
	}
	for k, want := range checks {
		if diff := cmp.Diff(p[k], want); diff != "" {
			t.Errorf("artifact bucket %s (-got +want):\n%s", k, diff)
		}
	}
	if p["LoggingConfiguration"] == nil {
		t.Errorf("artifact bucket has no server access logs")
	}
	// No custom resource sets the notifications (the L2 EventBridgeEnabled would add one).
	if n := len(s.resources("Custom::S3BucketNotifications")); n != 0 {
		t.Errorf("%d bucket notification custom resources, want none", n)
	}
}

// Every bucket, with or without the pipeline, is private, encrypted and refuses requests without TLS.
func TestBucketsPrivateEncryptedTLS(t *testing.T) {
	for _, s := range []*synthesized{base, withPipeline, extended} {
		for id, b := range s.resources("AWS::S3::Bucket") {
			p := props(b)
			if p["BucketEncryption"] == nil || p["PublicAccessBlockConfiguration"] == nil {
				t.Errorf("bucket %s: encryption %v, public access block %v", id, p["BucketEncryption"], p["PublicAccessBlockConfiguration"])
			}
			if !deniesWithoutTLS(s, id) {
				t.Errorf("bucket %s does not deny requests without TLS", id)
			}
		}
	}
}

func deniesWithoutTLS(s *synthesized, bucket string) bool {
	for _, pol := range s.resources("AWS::S3::BucketPolicy") {
		pp := resolve(props(pol), nil).(map[string]any)
		if pp["Bucket"] != "{Ref:"+bucket+"}" {
			continue
		}
		for _, st := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			m := st.(map[string]any)
			if m["Effect"] == "Deny" && cmp.Equal(m["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
				return true
			}
		}
	}
	return false
}

func TestTopic(t *testing.T) {
	s := base
	p := resolve(props(s.resource(t, s.ids.topic)), nil).(map[string]any)
	if p["KmsMasterKeyId"] != "arn:aws:kms:us-east-1:123456789012:alias/aws/sns" {
		t.Errorf("topic key %v, want the AWS managed SNS key", p["KmsMasterKeyId"])
	}
	must(t, "the topic refuses publishing without TLS", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
			"Topics": []any{map[string]any{"Ref": s.ids.topic}},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Action": "sns:Publish", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})},
		})
	})
}

// Each app's parameter holds its configuration: it decodes strictly into deploy.Config, with the zone filled in,
// and validates.
func TestParameters(t *testing.T) {
	s := base
	for _, ap := range testApps() {
		p := props(s.resource(t, s.ids.params[ap.Name]))
		if p["Name"] != DefaultConfigPrefix+ap.Name || p["Type"] != "String" {
			t.Errorf("%s: parameter %v of type %v", ap.Name, p["Name"], p["Type"])
		}
		got, err := deploy.DecodeConfig([]byte(p["Value"].(string)))
		if err != nil {
			t.Errorf("%s: parameter value: %v", ap.Name, err)
			continue
		}
		want := ap.Config
		want.Zone = map[string]string{"demoapp": "example.com", "shop": "example.com", "apex": "example.org"}[ap.Name]
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%s: stored configuration (-got +want):\n%s", ap.Name, diff)
		}
		got.Resolve()
		if err := got.Validate(ap.Name); err != nil {
			t.Errorf("%s: stored configuration does not validate: %v", ap.Name, err)
		}
	}
}

func TestPipelineOnlyWithFlag(t *testing.T) {
	must(t, "no pipeline without the flag", func() {
		base.template.ResourceCountIs(jsii.String("AWS::CodePipeline::Pipeline"), jsii.Number(0))
	})
	s := withPipeline
	must(t, "the pipeline: S3 source with its variables, then the Step Functions action with a literal input", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CodePipeline::Pipeline"), map[string]any{
			"PipelineType": "V2",
			"Stages": []any{
				assertions.Match_ObjectLike(&map[string]any{"Name": "Source", "Actions": []any{assertions.Match_ObjectLike(&map[string]any{
					"ActionTypeId":  map[string]any{"Category": "Source", "Owner": "AWS", "Provider": "S3", "Version": "1"},
					"Configuration": map[string]any{"S3Bucket": map[string]any{"Ref": s.ids.bucket}, "S3ObjectKey": DefaultPipelineSourceKey, "PollForSourceChanges": false},
					"Namespace":     PipelineSource,
				})}}),
				assertions.Match_ObjectLike(&map[string]any{"Name": "Deploy", "Actions": []any{assertions.Match_ObjectLike(&map[string]any{
					"ActionTypeId": map[string]any{"Category": "Invoke", "Owner": "AWS", "Provider": "StepFunctions", "Version": "1"},
					"Configuration": assertions.Match_ObjectLike(&map[string]any{
						"StateMachineArn": map[string]any{"Ref": s.ids.stateMachine}, "InputType": "Literal",
					}),
					"InputArtifacts": assertions.Match_Absent(),
				})}}),
			},
		})
	})
	must(t, "a rule starts the pipeline when its source object is written", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventPattern": map[string]any{
				"source": []any{"aws.s3"}, "detail-type": []any{"Object Created"},
				"detail": map[string]any{"bucket": map[string]any{"name": []any{map[string]any{"Ref": s.ids.bucket}}}, "object": map[string]any{"key": []any{DefaultPipelineSourceKey}}},
			},
		})
	})
	// Its artifact bucket is encrypted, private and TLS-only like the others (TestBucketsPrivateEncryptedTLS).
	if n := len(s.resources("AWS::S3::Bucket")); n != 3 {
		t.Errorf("%d buckets with the pipeline, want 3 (access logs, artifacts, pipeline artifacts)", n)
	}
}

// The operator's CLI finds the deployer through the stack's outputs.
func TestOutputs(t *testing.T) {
	outputs, _ := base.json["Outputs"].(map[string]any)
	want := map[string]string{
		OutputStateMachine: "{Ref:" + base.ids.stateMachine + "}",
		OutputLockTable:    "{Ref:" + base.ids.table + "}",
		OutputConfigPrefix: DefaultConfigPrefix,
		OutputArtifacts:    "{Ref:" + base.ids.bucket + "}",
		OutputTopic:        "{Ref:" + base.ids.topic + "}",
	}
	for name, v := range want {
		o, ok := outputs[name].(map[string]any)
		if !ok {
			t.Errorf("no output %s (outputs: %v)", name, outputs)
			continue
		}
		if got := resolve(o["Value"], nil); got != v {
			t.Errorf("output %s = %v, want %v", name, got, v)
		}
	}
}
