package bluegreen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// AppsFile is the format of the apps file (infra/apps.example.json): the apps, each with its zone, its optional
// ECR repository and its deploy.Config, and the deployer-wide settings (DeployerProps of the same names).
type AppsFile struct {
	Apps           []AppProps `json:"apps"`
	HealthCheckVPC *VPCProps  `json:"healthCheckVpc,omitempty"`
}

// LoadApps reads an apps file's apps (see ReadAppsFile).
func LoadApps(path string) ([]AppProps, error) {
	f, err := ReadAppsFile(path)
	return f.Apps, err
}

// ReadAppsFile reads an apps file strictly: an unknown field anywhere (a misspelt setting) is an error.
func ReadAppsFile(path string) (AppsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return AppsFile{}, fmt.Errorf("bluegreen: read apps file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f AppsFile
	if err := dec.Decode(&f); err != nil {
		return AppsFile{}, fmt.Errorf("bluegreen: apps file %s: %w", path, err)
	}
	if dec.More() {
		return AppsFile{}, fmt.Errorf("bluegreen: apps file %s: trailing data after the JSON value", path)
	}
	return f, nil
}

// Limits of an SSM String parameter's value: standard tier, advanced tier.
const (
	standardParamMax = 4096
	advancedParamMax = 8192
)

// healthcheckBudget is the part of the healthcheck Lambda's timeout a probe series may use; the rest is left for
// the target health and alarm calls and the answer.
const healthcheckBudget = healthcheckTimeoutSeconds - 20

// app is one app as the deployer builds it: its props and everything derived from them.
type app struct {
	AppProps
	rec    records.App
	zoneID string // without the /hostedzone/ prefix
	// stored is the configuration the parameter holds (the props' Config with Zone set), json its encoding.
	stored deploy.Config
	json   string
	param  string
	// exact are the record names the deployer writes by name; endpoints matches the per-stack endpoint names
	// (<app>-??????.<zone>); stacks matches the stack names (<app>-??????). Both patterns use IAM's ? (one
	// character), so they cover exactly the names of the stack id's length.
	exact     []string
	endpoints string
	stacks    string
	template  *s3Object
	// serviceRole is the service role the deployer builds for the app (AppProps.ServiceRole), nil otherwise.
	serviceRole *AppServiceRole
}

// placeholderRoleARN stands for the ARN of a service role the deployer builds, until the role exists: the
// configuration is validated and its size checked with it (as long as the longest role ARN the CDK names).
var placeholderRoleARN = "arn:aws-us-gov:iam::123456789012:role/" + strings.Repeat("r", 64)

// roleARN is the app's service role's ARN: the configured one, or the ARN of the role the deployer builds ("" with
// noServiceRole).
func (a *app) roleARN() string {
	if a.serviceRole != nil {
		return *a.serviceRole.Role.RoleArn()
	}
	return a.Config.ServiceRoleARN
}

type s3Object struct {
	Bucket, Key string
	Versioned   bool
}

// planApps derives every app's names and checks each app and every pair; all problems are reported, one a line.
func planApps(props []AppProps, prefix string) ([]*app, error) {
	var problems []string
	var apps []*app
	seen := map[string]bool{}
	for _, ap := range props {
		a, errs := planApp(ap, prefix)
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("app %q: %s", ap.Name, e))
		}
		if seen[ap.Name] {
			problems = append(problems, fmt.Sprintf("app %q is given twice", ap.Name))
		}
		seen[ap.Name] = true
		if len(errs) == 0 {
			apps = append(apps, a)
		}
	}
	problems = append(problems, overlaps(apps)...)
	if len(problems) > 0 {
		return apps, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return apps, nil
}

func planApp(ap AppProps, prefix string) (*app, []string) {
	var errs []string
	if err := records.ValidateAppName(ap.Name); err != nil {
		return nil, []string{err.Error()}
	}
	zone := records.Normalize(ap.ZoneName)
	switch given := records.Normalize(ap.Config.Zone); {
	case zone == "" && given == "":
		return nil, []string{"no zone: set zoneName (the hosted zone's name)"}
	case zone == "":
		zone = given
	case given != "" && given != zone:
		return nil, []string{fmt.Sprintf("zoneName %q and config zone %q differ", ap.ZoneName, ap.Config.Zone)}
	}
	rec, err := records.NewApp(ap.Name, zone, ap.Config.Host)
	if err != nil {
		return nil, []string{err.Error()}
	}
	a := &app{AppProps: ap, rec: rec, param: prefix + ap.Name}
	a.stored = ap.Config
	a.stored.Zone = zone
	if r := ap.ServiceRole; r != nil {
		role := *r
		role.App = ap.Name
		if err := role.Validate(); err != nil {
			errs = append(errs, strings.TrimPrefix(err.Error(), fmt.Sprintf("app %q: ", ap.Name)))
		}
		if ap.Config.ServiceRoleARN != "" || ap.Config.NoServiceRole {
			errs = append(errs, "serviceRole builds the app's service role: leave serviceRoleArn and noServiceRole out of its config")
		}
		a.stored.ServiceRoleARN = placeholderRoleARN
	}
	a.zoneID = strings.TrimPrefix(ap.Config.HostedZoneID, "/hostedzone/")

	resolved := a.stored
	resolved.Resolve()
	if err := resolved.Validate(ap.Name); err != nil {
		errs = append(errs, err.Error())
	} else if worst := probeSeconds(resolved.Health); worst > healthcheckBudget {
		errs = append(errs, fmt.Sprintf("a health check may probe for %d s (attempts x (timeout + interval)), more than the %d s the healthcheck Lambda leaves for it", worst, healthcheckBudget))
	}
	if u := ap.Config.Template.URL; u != "" {
		if obj, ok := parseS3URL(u); ok {
			a.template = &obj
		} else {
			errs = append(errs, fmt.Sprintf("template url %q is not an S3 object URL (https://<bucket>.s3.<region>.amazonaws.com/<key>): CloudFormation reads templates from S3 only", u))
		}
	}
	if ap.EcrRepository != "" && !ecrRepoRE.MatchString(ap.EcrRepository) {
		errs = append(errs, fmt.Sprintf("ecrRepository %q is not an ECR repository name", ap.EcrRepository))
	}
	data, err := json.Marshal(a.stored)
	if err != nil {
		errs = append(errs, err.Error())
	}
	a.json = string(data)
	if len(data) > advancedParamMax {
		errs = append(errs, fmt.Sprintf("configuration is %d bytes of JSON, more than an SSM parameter holds (%d): use a template url rather than a body", len(data), advancedParamMax))
	}

	id := strings.Repeat("?", records.StackIDLen)
	a.exact = []string{rec.HostName(), rec.SlotName(records.Blue), rec.SlotName(records.Green), rec.ActiveName(), rec.FenceName()}
	a.endpoints = rec.EndpointName(id)
	a.stacks = rec.StackName(id)
	return a, errs
}

// names returns the record names and the endpoint pattern.
func (a *app) names() []string { return append(append([]string(nil), a.exact...), a.endpoints) }

// probeSeconds is the longest a resolved health check's probe series can take.
func probeSeconds(h deploy.HealthConfig) int {
	return (h.Attempts*(h.TimeoutMillis+h.IntervalMillis) + 999) / 1000
}

// overlaps reports every pair of apps whose hosts, record names, stack names or hosted zones collide.
func overlaps(apps []*app) []string {
	var out []string
	for i, a := range apps {
		for _, b := range apps[i+1:] {
			if a.rec.HostName() == b.rec.HostName() {
				out = append(out, fmt.Sprintf("apps %q and %q share the host %s", a.Name, b.Name, a.rec.HostName()))
			}
			if a.zoneID == b.zoneID && a.rec.Zone != b.rec.Zone {
				out = append(out, fmt.Sprintf("apps %q and %q give hosted zone %s two names: %s and %s", a.Name, b.Name, a.zoneID, a.rec.Zone, b.rec.Zone))
			}
			for _, n := range a.names() {
				for _, m := range b.names() {
					sharedHost := n == a.rec.HostName() && m == b.rec.HostName()
					if globsMeet(n, m) && !sharedHost {
						out = append(out, fmt.Sprintf("record names of apps %q and %q overlap: %s and %s", a.Name, b.Name, n, m))
					}
				}
			}
			if globsMeet(a.stacks, b.stacks) || strings.HasPrefix(a.Name+"-", b.Name+"-") || strings.HasPrefix(b.Name+"-", a.Name+"-") {
				out = append(out, fmt.Sprintf("stack names of apps %q and %q overlap: %s and %s", a.Name, b.Name, a.stacks, b.stacks))
			}
		}
	}
	return out
}

// globsMeet reports whether two names, where ? stands for any one character, can match one same name.
func globsMeet(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if a[i] != b[i] && a[i] != '?' && b[i] != '?' {
			return false
		}
	}
	return true
}

var (
	s3VirtualHostRE = regexp.MustCompile(`^(.+)\.s3([.-](dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$`)
	s3PathHostRE    = regexp.MustCompile(`^s3([.-](dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$`)
)

// parseS3URL returns the bucket and key of an https S3 object URL, virtual-hosted or path style.
func parseS3URL(raw string) (s3Object, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return s3Object{}, false
	}
	path := strings.TrimPrefix(u.Path, "/")
	var obj s3Object
	if m := s3VirtualHostRE.FindStringSubmatch(u.Host); m != nil && !s3PathHostRE.MatchString(u.Host) {
		obj = s3Object{Bucket: m[1], Key: path}
	} else if s3PathHostRE.MatchString(u.Host) {
		bucket, key, _ := strings.Cut(path, "/")
		obj = s3Object{Bucket: bucket, Key: key}
	} else {
		return s3Object{}, false
	}
	obj.Versioned = u.Query().Has("versionId")
	if obj.Bucket == "" || obj.Key == "" || strings.ContainsAny(obj.Key+obj.Bucket, "*?") {
		return s3Object{}, false
	}
	return obj, true
}

// zones returns the hosted zones of the apps, by id, with the apps in each, both sorted.
func zones(apps []*app) ([]string, map[string][]*app) {
	by := map[string][]*app{}
	for _, a := range apps {
		by[a.zoneID] = append(by[a.zoneID], a)
	}
	ids := make([]string, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, by
}
