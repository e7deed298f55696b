package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

// The permissions are the schema's create, update and delete handlers' and its tagging's, sorted and without
// repeats; what is not an IAM action is dropped and recorded; the read and list handlers are not taken.
func TestGenerate(t *testing.T) {
	f, err := generate(Source{Ref: "test"}, []string{"AWS::Test::Tagged", "AWS::Test::Untagged"}, readTestdata)
	if err != nil {
		t.Fatal(err)
	}
	got := f.Types["AWS::Test::Tagged"]
	want := Type{
		Schema: "aws-test-tagged.json", SchemaSHA256: got.SchemaSHA256, Taggable: true, TagOnCreate: true,
		Create:  []string{"test:CreateThing", "test:TagResource"},
		Update:  []string{"test:Describe*", "test:UpdateThing"},
		Delete:  []string{"test:DeleteThing"},
		Tagging: []string{"test:TagResource", "test:UntagResource"},
		Dropped: []string{"s3:REST.PUT.OBJECT"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("AWS::Test::Tagged (-got +want):\n%s", diff)
	}
	if len(got.SchemaSHA256) != 64 {
		t.Errorf("schema digest %q", got.SchemaSHA256)
	}
	if u := f.Types["AWS::Test::Untagged"]; u.Taggable || len(u.Update) != 0 || u.Update == nil {
		t.Errorf("AWS::Test::Untagged = %+v, want untaggable with an empty update list", u)
	}
}

// A schema without handlers (cfn-lint's since v1.12.4), a type whose stack tags could not be applied on create,
// a missing schema: each fails the run, naming the type.
func TestGenerateRefuses(t *testing.T) {
	_, err := generate(Source{}, []string{"AWS::Test::Stripped", "AWS::Test::NoTagPermission", "AWS::Test::Missing"}, readTestdata)
	for _, want := range []string{
		"AWS::Test::Stripped: aws-test-stripped.json has no handlers",
		"AWS::Test::NoTagPermission: aws-test-notagpermission.json: the stack's tags are applied on create",
		"AWS::Test::Missing: open testdata/aws-test-missing.json",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("generate = %v, want it to say %q", err, want)
		}
	}
}

func TestFileName(t *testing.T) {
	if got := fileName("AWS::ElasticLoadBalancingV2::LoadBalancer"); got != "aws-elasticloadbalancingv2-loadbalancer.json" {
		t.Errorf("fileName = %s", got)
	}
}

// The committed serviceroles.json is what the generator makes of cfn-lint's schemas. It needs a clone of
// cfn-lint's repository (CFNLINT_GIT, its git directory); without one the test says so and skips.
func TestCommittedFileIsGenerated(t *testing.T) {
	gitDir := os.Getenv("CFNLINT_GIT")
	if gitDir == "" {
		t.Skip("CFNLINT_GIT is not set: give the git directory of a clone of " + repository + " to regenerate serviceroles.json")
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "serviceroles.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := fromGit(gitDir, defaultRef)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, committed) {
		t.Errorf("serviceroles.json differs from what the generator makes: run go generate ./infra/bluegreen/")
	}
}
