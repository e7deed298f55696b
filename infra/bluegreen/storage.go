package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"
)

// LockKey is the lock table's partition key: the app's name.
const LockKey = "app"

// addLockTable adds the lock table: one item per app while an execution holds it, with the run's plan and progress.
// Deletion protection is on whenever the removal policy retains it: losing the table mid-deployment would lose
// the plan a rollback or reconcile restores.
func (d *Deployer) addLockTable() {
	retain := d.props.RemovalPolicy == awscdk.RemovalPolicy_RETAIN
	d.LockTable = awsdynamodb.NewTable(d.Construct, jsii.String("LockTable"), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String(LockKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		Encryption:                       awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection:               jsii.Bool(retain),
		RemovalPolicy:                    d.props.RemovalPolicy,
	})
}

// addBuckets adds the artifact bucket (uploads under <app>/ start deployments; EventBridge notifications on) and
// the bucket receiving the server access logs of the deployer's buckets.
func (d *Deployer) addBuckets() {
	d.AccessLogBucket = awss3.NewBucket(d.Construct, jsii.String("AccessLogs"), &awss3.BucketProps{
		// Server access logs can only be delivered to SSE-S3 buckets.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     d.props.RemovalPolicy,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-access-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(365)),
		}},
	})
	d.ArtifactBucket = d.newBucket("Artifacts", "artifacts/", true)
	// EventBridge notifications on the L1 bucket: the L2 EventBridgeEnabled adds a custom resource (a Lambda with a
	// managed policy) to set them.
	cfn := d.ArtifactBucket.Node().DefaultChild().(awss3.CfnBucket)
	cfn.SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
		EventBridgeConfiguration: &awss3.CfnBucket_EventBridgeConfigurationProperty{EventBridgeEnabled: jsii.Bool(true)},
	})
}

// newBucket returns a private, encrypted, TLS-only bucket logging its accesses to the access log bucket.
func (d *Deployer) newBucket(id, logPrefix string, versioned bool) awss3.Bucket {
	return awss3.NewBucket(d.Construct, jsii.String(id), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(versioned),
		ServerAccessLogsBucket: d.AccessLogBucket,
		ServerAccessLogsPrefix: jsii.String(logPrefix),
		RemovalPolicy:          d.props.RemovalPolicy,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("abort-incomplete-uploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	})
}

// addTopic adds the notification topic, encrypted with the AWS managed SNS key (its key policy lets the state
// machine's role publish through SNS without a KMS grant) and refusing requests without TLS.
func (d *Deployer) addTopic() {
	d.Topic = awssns.NewTopic(d.Construct, jsii.String("Notifications"), &awssns.TopicProps{
		DisplayName: jsii.String("bluegreen deployments"),
		MasterKey:   awskms.Alias_FromAliasName(d.Construct, jsii.String("SnsKey"), jsii.String("alias/aws/sns")),
		EnforceSSL:  jsii.Bool(true),
	})
}

// addParameters adds one String parameter per app holding its configuration as JSON (advanced tier when it does
// not fit the standard tier's 4 KB).
func (d *Deployer) addParameters() {
	d.Parameters = map[string]awsssm.StringParameter{}
	for _, a := range d.apps {
		tier := awsssm.ParameterTier_STANDARD
		if len(a.json) > standardParamMax {
			tier = awsssm.ParameterTier_ADVANCED
		}
		d.Parameters[a.Name] = awsssm.NewStringParameter(d.Construct, jsii.String("Config"+a.Name), &awsssm.StringParameterProps{
			ParameterName: jsii.String(a.param),
			StringValue:   jsii.String(a.json),
			Tier:          tier,
			Description:   jsii.String("bluegreen configuration of app " + a.Name + " (deploy.Config)"),
		})
	}
}
