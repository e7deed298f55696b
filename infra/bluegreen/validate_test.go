package bluegreen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// Synth fails, naming the problem, on every invalid deployer configuration.
func TestValidateRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *DeployerProps)
		want   string
	}{
		{"two apps share a host", func(p *DeployerProps) {
			p.Apps[1].Config.Host = "demoapp.example.com"
		}, `apps "demoapp" and "shop" share the host demoapp.example.com`},
		{"an app's host falls in another app's per-stack names", func(p *DeployerProps) {
			p.Apps[1].Config.Host = "demoapp-12345x.example.com"
		}, `record names of apps "demoapp" and "shop" overlap: demoapp-??????.example.com and demoapp-12345x.example.com`},
		{"an invalid app configuration", func(p *DeployerProps) {
			p.Apps[0].Config.Strategy.Steps = []int{50, 10}
		}, `app "demoapp": invalid deployment input: strategy steps must increase: 10 after 50`},
		{"a missing service role", func(p *DeployerProps) {
			p.Apps[0].Config.ServiceRoleARN = ""
		}, `app "demoapp": invalid deployment input: serviceRoleArn is required`},
		{"no zone name", func(p *DeployerProps) {
			p.Apps[0].ZoneName = ""
		}, `app "demoapp": no zone: set zoneName`},
		{"zone names that differ", func(p *DeployerProps) {
			p.Apps[1].ZoneName = "example.net"
		}, `app "shop": zoneName "example.net" and config zone "example.com" differ`},
		{"a hosted zone given two names", func(p *DeployerProps) {
			p.Apps[2].Config.HostedZoneID = zoneCom
		}, `apps "demoapp" and "apex" give hosted zone ` + zoneCom + ` two names: example.com and example.org`},
		{"an invalid app name", func(p *DeployerProps) {
			p.Apps[0].Name = "demo-app"
		}, `app "demo-app": app name "demo-app" must be 1-24 lower-case letters and digits`},
		{"an app given twice", func(p *DeployerProps) {
			p.Apps = append(p.Apps, p.Apps[0])
		}, `app "demoapp" is given twice`},
		{"a template that is not in S3", func(p *DeployerProps) {
			p.Apps[0].Config.Template.URL = "https://example.com/t.yaml"
		}, `template url "https://example.com/t.yaml" is not an S3 object URL`},
		{"health probes longer than the Lambda's timeout", func(p *DeployerProps) {
			p.Apps[0].Config.Health.Attempts, p.Apps[0].Config.Health.IntervalMillis = 50, 10000
		}, `a health check may probe for 750 s`},
		{"a configuration too large for a parameter", func(p *DeployerProps) {
			p.Apps[2].Config.Template.Body = strings.Repeat(" ", 9000)
		}, `configuration is 9`},
		{"a pipeline source under an app's prefix", func(p *DeployerProps) {
			p.Pipeline = &PipelineProps{SourceKey: "shop/source.zip"}
		}, `pipeline source key "shop/source.zip" is under app shop's prefix shop/`},
		{"a pipeline for an app the deployer has not", func(p *DeployerProps) {
			p.Pipeline = &PipelineProps{App: "blog"}
		}, `pipeline app "blog" is not one of the deployer's apps`},
		{"no apps", func(p *DeployerProps) { p.Apps = nil }, "no apps"},
		{"a bad state machine name", func(p *DeployerProps) { p.StateMachineName = "blue green" }, `state machine name "blue green"`},
		{"missing Lambda binaries", func(p *DeployerProps) {
			p.AssetsDir = t.TempDir()
		}, "rollback/bootstrap): run make build first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProps()
			tt.change(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	p := testProps()
	p.Pipeline = &PipelineProps{}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

// The shipped example apps file loads and validates; its demoapp has the deployer build its service role.
func TestExampleAppsFile(t *testing.T) {
	f, err := ReadAppsFile(filepath.Join("..", "apps.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := DeployerProps{Apps: f.Apps, HealthCheckVPC: f.HealthCheckVPC, AssetsDir: stubAssets, Pipeline: &PipelineProps{}}
	if err := p.Validate(); err != nil {
		t.Errorf("the example apps file does not validate: %v", err)
	}
	if f.Apps[0].Name != "demoapp" || f.Apps[0].ServiceRole == nil || f.Apps[0].Config.ServiceRoleARN != "" {
		t.Errorf("the example's demoapp does not have its service role built: %+v", f.Apps[0])
	}
}

// The apps file carries the deployer-wide VPC of the health check.
func TestReadAppsFileVPC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apps.json")
	doc := `{"apps":[],"healthCheckVpc":{"subnetIds":["subnet-0123456789abcdef0"],"securityGroupId":"sg-0a1b2c3d4e5f60718"}}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadAppsFile(path)
	if err != nil || f.HealthCheckVPC == nil || f.HealthCheckVPC.SubnetIDs[0] != "subnet-0123456789abcdef0" || f.HealthCheckVPC.SecurityGroupID != "sg-0a1b2c3d4e5f60718" {
		t.Errorf("ReadAppsFile = %+v, %v", f.HealthCheckVPC, err)
	}
}

func TestLoadAppsRefusesUnknownFields(t *testing.T) {
	f := filepath.Join(t.TempDir(), "apps.json")
	if err := os.WriteFile(f, []byte(`{"apps":[{"name":"x","config":{"hostedZone":"Z1"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadApps(f); err == nil || !strings.Contains(err.Error(), "hostedZone") {
		t.Errorf("LoadApps = %v, want the misspelt field named", err)
	}
}

// The construct itself refuses invalid props (an embedding app that skips Validate still gets the message).
func TestNewBlueGreenStackPanicsOnInvalidProps(t *testing.T) {
	p := testProps()
	p.Apps[1].Config.Host = "demoapp.example.com"
	defer func() {
		r := recover()
		if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "share the host") {
			t.Errorf("recovered %v, want the validation error", r)
		}
	}()
	NewBlueGreenStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), "Invalid", &BlueGreenStackProps{Deployer: p})
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		url  string
		want s3Object
		ok   bool
	}{
		{"https://b.s3.amazonaws.com/k/t.yaml", s3Object{Bucket: "b", Key: "k/t.yaml"}, true},
		{"https://my.bucket.s3.eu-west-1.amazonaws.com/t.yaml", s3Object{Bucket: "my.bucket", Key: "t.yaml"}, true},
		{"https://b.s3-eu-west-1.amazonaws.com/t.yaml", s3Object{Bucket: "b", Key: "t.yaml"}, true},
		{"https://s3.us-east-1.amazonaws.com/b/k/t.yaml?versionId=x", s3Object{Bucket: "b", Key: "k/t.yaml", Versioned: true}, true},
		{"https://s3.amazonaws.com/b/t.yaml", s3Object{Bucket: "b", Key: "t.yaml"}, true},
		{"https://b.s3.cn-north-1.amazonaws.com.cn/t.yaml", s3Object{Bucket: "b", Key: "t.yaml"}, true},
		{"https://s3.amazonaws.com/b/", s3Object{}, false},
		{"https://b.s3.amazonaws.com/k/*", s3Object{}, false},
		{"https://example.com/b/t.yaml", s3Object{}, false},
		{"http://b.s3.amazonaws.com/t.yaml", s3Object{}, false},
	}
	for _, tt := range tests {
		got, ok := parseS3URL(tt.url)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseS3URL(%q) = %+v, %v; want %+v, %v", tt.url, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGlobsMeet(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a-??????.z", "a-123456.z", true},
		{"a-??????.z", "b-??????.z", false},
		{"a-??????.z", "a-??????.z", true},
		{"ab-??????.z", "a-???????.z", false},
		{"x.z", "x.z", true},
		{"x.z", "y.z", false},
		{"a-??????.z", "a-1234567.z", false},
	}
	for _, tt := range tests {
		if got := globsMeet(tt.a, tt.b); got != tt.want {
			t.Errorf("globsMeet(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// The health budget check uses the resolved configuration.
func TestProbeSeconds(t *testing.T) {
	c := deploy.Config{}
	c.Resolve()
	if got := probeSeconds(c.Health); got != 30 {
		t.Errorf("default probe series: %d s, want 30 (5 x (5 s + 1 s))", got)
	}
}
