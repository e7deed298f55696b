package deploy

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/exactjson"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The sources an event names its release with, as Input.Source.
const (
	// SourceS3 is an object created in the artifact bucket.
	SourceS3 = "s3"
	// SourceECR is an image pushed to the app's ECR repository.
	SourceECR = "ecr"
)

// The events a trigger may pass, by source and detail type.
const (
	s3EventSource      = "aws.s3"
	s3ObjectCreated    = "Object Created"
	ecrEventSource     = "aws.ecr"
	ecrImageAction     = "ECR Image Action"
	ecrPush, ecrResult = "PUSH", "SUCCESS"
)

var (
	// S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens (the S3 naming rules, loosely: enough that
	// the s3:// URI has one bucket and no path in it).
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	accountIDRE  = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// ECR repository names, as the ECR API's pattern for repositoryName.
	ecrRepositoryRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	imageDigestRE   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// eventHead is what says which event it is.
type eventHead struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// s3ObjectCreatedEvent is the part of S3's "Object Created" EventBridge event the deployer reads ("EventBridge event
// message structure", Amazon S3 User Guide).
type s3ObjectCreatedEvent struct {
	Detail struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			VersionID string `json:"version-id"`
		} `json:"object"`
	} `json:"detail"`
}

// ecrImageActionEvent is the part of ECR's "ECR Image Action" EventBridge event the deployer reads.
type ecrImageActionEvent struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Detail  struct {
		ActionType     string `json:"action-type"`
		Result         string `json:"result"`
		RepositoryName string `json:"repository-name"`
		ImageTag       string `json:"image-tag"`
		ImageDigest    string `json:"image-digest"`
	} `json:"detail"`
}

// ReleaseFromEvent derives the release of an input that carries the EventBridge event that started it (Event, as
// the S3 and ECR rules pass it beside the app their rule names) and fills in Version, Artifact and Source; it changes
// nothing else, and nothing at all when it refuses. An input without an event is left as it is.
//
// The event is decoded with exact keys (no case or Unicode folding, no duplicate keys; keys the deployer does not
// read are allowed). From an S3 "Object Created" event in a versioned bucket, the version is the object's version
// id and the artifact s3://<bucket>/<key>; the key must be under <app>/ (no . or .. segment, not a folder marker).
// From an ECR "ECR Image Action" event (a successful PUSH with a tag), the version is the tag and the artifact the
// image by digest, <account>.dkr.ecr.<region>.<DNS suffix>/<repository>@<digest>. What it derives is validated as
// ValidateInput validates any input. Every refusal is a ValidationError: an event of another kind, a missing field,
// an S3 key outside <app>/, an input that gives version, artifact or source beside the event, or an action other
// than deploy.
func ReleaseFromEvent(in *Input) error {
	if len(in.Event) == 0 {
		return nil
	}
	var p problems
	if in.ActionOrDefault() != ActionDeploy {
		p.add("an event starts only a deploy, not a %s", in.Action)
	}
	if in.Version != "" || in.Artifact != "" || in.Source != "" {
		p.add("an input with an event gives no version, artifact or source: they are derived from the event")
	}
	p.check(records.ValidateAppName(in.App))
	if len(p) > 0 {
		return p.err()
	}
	var head eventHead
	if err := decodeEvent(in.Event, &head); err != nil {
		return err
	}
	out := *in
	var err error
	switch {
	case head.Source == s3EventSource && head.DetailType == s3ObjectCreated:
		out.Version, out.Artifact, err = s3Release(in.App, in.Event)
		out.Source = SourceS3
	case head.Source == ecrEventSource && head.DetailType == ecrImageAction:
		out.Version, out.Artifact, err = ecrRelease(in.Event)
		out.Source = SourceECR
	default:
		return &ValidationError{Problems: []string{"event: a " + quoteOr(head.Source, "no source") + " event of type " +
			quoteOr(head.DetailType, "none") + ` starts nothing: only S3 "Object Created" and ECR "ECR Image Action" events do`}}
	}
	if err != nil {
		return err
	}
	if err := ValidateInput(out); err != nil {
		return err
	}
	*in = out
	return nil
}

// s3Release derives version and artifact from an S3 "Object Created" event.
//
// The key is used as the event gives it. S3 URL-encodes object keys in the notifications it sends to SNS, SQS and
// Lambda ("Event message structure": "The object key name value is URL encoded"); the EventBridge event is
// documented without any such encoding ("EventBridge event message structure", Amazon S3 User Guide), and decoding a
// key that is not encoded would change it (a + in a key would become a space).
//
// The version is the object's version id (the artifact bucket is versioned): unique per upload, even when a key is
// overwritten, and what a template needs to pin the object (e.g. a Lambda's S3ObjectVersion). S3 assigns it, and its
// values are URL safe ("Adding objects to versioning-enabled buckets", Amazon S3 User Guide).
func s3Release(app string, event []byte) (version, artifact string, err error) {
	var e s3ObjectCreatedEvent
	if err := decodeEvent(event, &e); err != nil {
		return "", "", err
	}
	var p problems
	bucket, o := e.Detail.Bucket.Name, e.Detail.Object
	switch {
	case bucket == "":
		p.add("event.detail.bucket.name is missing")
	case !bucketNameRE.MatchString(bucket):
		p.add("event.detail.bucket.name %q is not an S3 bucket name", bucket)
	}
	prefix := app + "/"
	switch {
	case o.Key == "":
		p.add("event.detail.object.key is missing")
	case !strings.HasPrefix(o.Key, prefix):
		p.add("event.detail.object.key %q is not under %s: app %s deploys only objects under its own prefix", o.Key, prefix, app)
	case o.Key == prefix || strings.HasSuffix(o.Key, "/"):
		p.add("event.detail.object.key %q ends in /: a folder marker, not an artifact", o.Key)
	case hasDotSegment(o.Key):
		p.add("event.detail.object.key %q has a . or .. segment: as a URI it could name an object outside %s", o.Key, prefix)
	}
	if o.VersionID == "" {
		p.add("event.detail.object.version-id is missing: the artifact bucket must be versioned (the version id is the release's version)")
	}
	if len(p) > 0 {
		return "", "", p.err()
	}
	return o.VersionID, "s3://" + bucket + "/" + o.Key, nil
}

// hasDotSegment says whether a key has a "." or ".." segment. S3 keys are literal, but whoever reads the artifact as
// a URI may remove dot segments (RFC 3986), and demoapp/../shop/x would then leave the app's prefix.
func hasDotSegment(key string) bool {
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// ecrRelease derives version and artifact from an ECR "ECR Image Action" event: the tag, and the image by digest,
// so that the stack runs exactly the image that was pushed even if the tag moves.
func ecrRelease(event []byte) (version, artifact string, err error) {
	var e ecrImageActionEvent
	if err := decodeEvent(event, &e); err != nil {
		return "", "", err
	}
	var p problems
	d := e.Detail
	if d.ActionType != ecrPush || d.Result != ecrResult {
		p.add("event: an ECR image action %s with result %s is not a successful push", quoteOr(d.ActionType, "(none)"), quoteOr(d.Result, "(none)"))
	}
	if !accountIDRE.MatchString(e.Account) {
		p.add("event.account %q is not an AWS account id", e.Account)
	}
	suffix, ok := registrySuffix(e.Region)
	if !ok {
		p.add("event.region %q is not a region whose ECR registry the deployer can name", e.Region)
	}
	if len(d.RepositoryName) < 2 || len(d.RepositoryName) > 256 || !ecrRepositoryRE.MatchString(d.RepositoryName) {
		p.add("event.detail.repository-name %q is not an ECR repository name", d.RepositoryName)
	}
	if d.ImageTag == "" {
		p.add("event.detail.image-tag is missing: only a tagged push deploys (the tag is the release's version)")
	}
	if !imageDigestRE.MatchString(d.ImageDigest) {
		p.add("event.detail.image-digest %q is not an image digest (sha256:<64 hex digits>)", d.ImageDigest)
	}
	if len(p) > 0 {
		return "", "", p.err()
	}
	return d.ImageTag, e.Account + ".dkr.ecr." + e.Region + "." + suffix + "/" + d.RepositoryName + "@" + d.ImageDigest, nil
}

// registrySuffix returns the DNS suffix of a region's ECR registry, <account>.dkr.ecr.<region>.<suffix> ("Amazon ECR
// private registry", Amazon ECR User Guide): amazonaws.com, except in the China regions, whose endpoint domain is
// amazonaws.com.cn ("Beijing Region Endpoints", "Ningxia Region Endpoints", AWS General Reference in China). The
// isolated partitions (us-iso-*, us-isob-*, eu-isoe-*) have suffixes of their own: refused rather than guessed.
func registrySuffix(region string) (string, bool) {
	switch {
	case !regionRE.MatchString(region) || strings.Contains(region, "-iso"):
		return "", false
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn", true
	default:
		return "amazonaws.com", true
	}
}

// decodeEvent decodes an event into v with exact keys, unknown keys allowed; problems are under "event".
func decodeEvent(event []byte, v any) error {
	if err := exactjson.Decode(event, v, exactjson.Options{AllowUnknown: true, What: "the event"}); err != nil {
		return validationOf(err, "event", "")
	}
	return nil
}

func quoteOr(s, none string) string {
	if s == "" {
		return none
	}
	return strconv.Quote(s)
}
