package localaws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
)

// clients are the SDK clients the event tests use.
type clients struct {
	s3  *s3.Client
	ecr *ecr.Client
	eb  *eventbridge.Client
	sfn *sfn.Client
}

func eventClients(t *testing.T, a *localaws.AWS) clients {
	t.Helper()
	cfg, err := a.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return clients{
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		ecr: ecr.NewFromConfig(cfg), eb: eventbridge.NewFromConfig(cfg), sfn: sfn.NewFromConfig(cfg),
	}
}

// eventBucket creates a bucket with EventBridge notifications on, versioned when asked.
func (c clients) eventBucket(t *testing.T, name string, versioned bool) {
	t.Helper()
	ctx := t.Context()
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := c.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(name),
		NotificationConfiguration: &s3types.NotificationConfiguration{EventBridgeConfiguration: &s3types.EventBridgeConfiguration{}}}); err != nil {
		t.Fatal(err)
	}
}

func (c clients) put(t *testing.T, bucket, key, body string) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// multipart uploads an object in two parts (the first of S3's 5 MiB minimum).
func (c clients) multipart(t *testing.T, bucket, key string) *s3.CompleteMultipartUploadOutput {
	t.Helper()
	ctx := t.Context()
	up, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i, body := range [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")} {
		n := int32(i + 1)
		p, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(n)})
	}
	out, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// manifest is an image manifest (its digest is its SHA-256); layer makes it unique.
func manifest(layer string) string {
	return `{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:` +
		strings.Repeat("0", 64) + `"}, "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": "sha256:` + layer + `"}]}`
}

func (c clients) repository(t *testing.T, name string, immutable bool) {
	t.Helper()
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}
	if immutable {
		in.ImageTagMutability = ecrtypes.ImageTagMutabilityImmutable
	}
	if _, err := c.ecr.CreateRepository(t.Context(), in); err != nil {
		t.Fatal(err)
	}
}

func (c clients) push(repo, tag, layer string) (*ecr.PutImageOutput, error) {
	return c.ecr.PutImage(context.Background(), &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag), ImageManifest: aws.String(manifest(layer))})
}

// rule puts a rule on the default bus whose one target is a state machine.
func (c clients) rule(t *testing.T, name, pattern, machine string, transformer *ebtypes.InputTransformer) {
	t.Helper()
	if _, err := c.eb.PutRule(t.Context(), &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.eb.PutTargets(t.Context(), &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{
		Id: aws.String("1"), Arn: aws.String(machine), RoleArn: aws.String(roleARN), InputTransformer: transformer,
	}}}); err != nil {
		t.Fatal(err)
	}
}

// busEvents waits until the bus received n events of that detail type (a test fails after 10 s) and every event is
// delivered, then returns them.
func busEvents(t *testing.T, a *localaws.AWS, detailType string, n int) []eventbus.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []eventbus.Record
		for _, r := range a.Gateway.Events().Records() {
			if r.DetailType == detailType {
				got = append(got, r)
			}
		}
		if len(got) >= n {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := a.Gateway.Events().WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %q events after 10s, want %d: %+v", len(got), detailType, n, a.Gateway.Events().Records())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits a moment for events that should not come, then for the bus to deliver what did.
func settle(t *testing.T, a *localaws.AWS) {
	t.Helper()
	time.Sleep(500 * time.Millisecond)
	if err := a.Gateway.Events().WaitIdle(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// decode decodes an event's JSON.
func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return m
}

// executions lists a state machine's executions' inputs, oldest first.
func (c clients) executions(t *testing.T, machine string) []string {
	t.Helper()
	out, err := c.sfn.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for i := len(out.Executions) - 1; i >= 0; i-- {
		d, err := c.sfn.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: out.Executions[i].ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, aws.ToString(d.Input))
	}
	return inputs
}
