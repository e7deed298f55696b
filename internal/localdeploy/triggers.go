package localdeploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

// ArtifactBucket is the artifact bucket InstallTriggers creates, named as the infra's tests name it.
const ArtifactBucket = "bluegreen-artifacts-" + Account

// Triggers says which triggers InstallTriggers installs.
type Triggers struct {
	// Apps are the apps whose uploads (and, with an EcrRepository, whose pushes) start releases; their ECR
	// repositories are created (immutable tags when ImmutableTags).
	Apps          []triggers.App
	ImmutableTags bool
	// Without leaves rules out by id (triggers.Rule.ID): "SweepOnStop" to let the schedule's sweep alone find a
	// stopped run.
	Without []string
}

// InstallTriggers creates what the infra creates for the triggers: the artifact bucket (versioned, EventBridge
// notifications on), the apps' ECR repositories and the rules of package triggers — exactly those, the infra's —
// on the local AWS's default bus, each starting the deployer's state machine or the sweeper.
func (d *Deployer) InstallTriggers(ctx context.Context, t Triggers) error {
	s3c := s3.NewFromConfig(d.Config, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(ArtifactBucket)}); err != nil {
		return fmt.Errorf("create the artifact bucket: %w", err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(ArtifactBucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		return fmt.Errorf("version the artifact bucket: %w", err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: aws.String(ArtifactBucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{EventBridgeConfiguration: &s3types.EventBridgeConfiguration{}}}); err != nil {
		return fmt.Errorf("turn the artifact bucket's EventBridge notifications on: %w", err)
	}
	ecrc := ecr.NewFromConfig(d.Config)
	for _, a := range t.Apps {
		if a.EcrRepository == "" {
			continue
		}
		in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(a.EcrRepository)}
		if t.ImmutableTags {
			in.ImageTagMutability = "IMMUTABLE"
		}
		if _, err := ecrc.CreateRepository(ctx, in); err != nil {
			return fmt.Errorf("create ECR repository %s: %w", a.EcrRepository, err)
		}
	}
	eb := eventbridge.NewFromConfig(d.Config)
	role := fmt.Sprintf("arn:aws:iam::%s:role/bluegreen-events", Account)
	for _, r := range triggers.Rules(triggers.Deployment{ArtifactBucket: ArtifactBucket, StateMachine: d.StateMachine, Sweeper: d.Sweeper, Apps: t.Apps}) {
		if slices.Contains(t.Without, r.ID) {
			continue
		}
		rule := &eventbridge.PutRuleInput{Name: aws.String(r.ID), Description: aws.String(r.Description)}
		if r.Pattern != nil {
			rule.EventPattern = aws.String(r.Pattern.JSON())
		} else {
			rule.ScheduleExpression = aws.String(r.Schedule)
		}
		if _, err := eb.PutRule(ctx, rule); err != nil {
			return fmt.Errorf("put rule %s: %w", r.ID, err)
		}
		target := ebtypes.Target{Id: aws.String("Target0"), Arn: aws.String(r.Target), RoleArn: aws.String(role)}
		if r.Template != "" {
			target.InputTransformer = &ebtypes.InputTransformer{InputTemplate: aws.String(r.Template), InputPathsMap: r.Paths}
		} else {
			target.Input = aws.String(r.Input)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.ID), Targets: []ebtypes.Target{target}}); err != nil {
			return fmt.Errorf("put the target of rule %s: %w", r.ID, err)
		}
	}
	return nil
}
