package bluegreen

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// The example pipeline's execution input is literal: the app fixed in the pipeline, the source object as the
// artifact, and its version the source action's VersionId variable. With the variable resolved (CodePipeline
// resolves it before the action runs), it decodes strictly and validates.
func TestPipelineInput(t *testing.T) {
	s := withPipeline
	pipelines := s.resources("AWS::CodePipeline::Pipeline")
	if len(pipelines) != 1 {
		t.Fatalf("%d pipelines, want 1", len(pipelines))
	}
	var stages []any
	for _, p := range pipelines {
		stages, _ = resolve(props(p), map[string]string{s.ids.bucket: sampleBucket}).(map[string]any)["Stages"].([]any)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want 2 (source, deploy)", len(stages))
	}
	action := stages[1].(map[string]any)["Actions"].([]any)[0].(map[string]any)
	config := action["Configuration"].(map[string]any)
	raw, _ := config["Input"].(string)
	const variable = "#{" + PipelineSource + ".VersionId}"
	if config["InputType"] != "Literal" || strings.Count(raw, "#{") != 1 || !strings.Contains(raw, `"version":"`+variable+`"`) {
		t.Fatalf("input type %v, input %q: want a literal input whose one variable is the version, %s", config["InputType"], raw, variable)
	}
	versionID := "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo" // S3's own example of a version id
	in, err := deploy.DecodeInput([]byte(strings.Replace(raw, variable, versionID, 1)))
	if err != nil {
		t.Fatalf("the pipeline's input %s: %v", raw, err)
	}
	if err := deploy.ValidateInput(in); err != nil {
		t.Errorf("the pipeline's input %s: %v", raw, err)
	}
	want := deploy.Input{App: "demoapp", Version: versionID, Artifact: "s3://" + sampleBucket + "/" + DefaultPipelineSourceKey, Source: "codepipeline"}
	if diff := cmp.Diff(in, want); diff != "" {
		t.Errorf("the pipeline's input (-got +want):\n%s", diff)
	}
}
