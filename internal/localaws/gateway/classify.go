package gateway

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Call says which AWS operation a request is.
type Call struct {
	// Service is the SigV4 signing name from the request's credential scope: "route53",
	// "cloudformation", "elasticloadbalancing", "states" (Step Functions), "monitoring"
	// (CloudWatch), "events", "dynamodb", "ssm", "s3", "sns", "lambda".
	Service string `json:"service"`
	// Operation is the API operation, e.g. "ChangeResourceRecordSets" or "Invoke".
	Operation string `json:"operation"`
	// Function is the Lambda function name of an Invoke.
	Function string `json:"function,omitempty"`
	// Region is the region from the credential scope.
	Region string `json:"region,omitempty"`
	// AccessKey is the access key id the request was signed with: who made the call (on the local AWS the
	// deployer's functions sign with one key, a test harness with another).
	AccessKey string `json:"accessKey,omitempty"`
	// Params holds the query protocol's form parameters (or the URL query), used to
	// rewrite responses for one stack or target group.
	Params url.Values `json:"-"`
	// Path is the request's URL path (a REST API's resource: a Route 53 health check's id).
	Path string `json:"-"`
}

var (
	invokePath      = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/invocations/?$`)
	credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)
)

// classify names the service and operation of a request; body is the request's body.
func classify(r *http.Request, body []byte) Call {
	var c Call
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.AccessKey, c.Region, c.Service = m[1], m[2], m[3]
	}
	if m := invokePath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
		c.Service, c.Operation, c.Function = "lambda", "Invoke", functionName(m[1])
		return c
	}
	c.Params, c.Path = r.URL.Query(), r.URL.Path
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				c.Params[k] = v
			}
		}
	}
	switch target := r.Header.Get("X-Amz-Target"); {
	case target != "":
		c.Operation = target[strings.LastIndex(target, ".")+1:]
	case c.Params.Get("Action") != "":
		c.Operation = c.Params.Get("Action")
	case strings.Contains(r.URL.Path, "/operation/"):
		c.Operation = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] // Smithy RPC v2 (CBOR)
	case c.Service == "route53":
		c.Operation = route53Operation(r.Method, r.URL.Path)
	case c.Service == "s3":
		c.Operation = s3Operation(r.Method, r.URL.Path, r.URL.Query())
	}
	return c
}

// functionName returns the name in a function name, name:qualifier, full or partial ARN.
func functionName(s string) string {
	if i := strings.Index(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
	}
	name, _, _ := strings.Cut(s, ":")
	return name
}

// route53Operation maps a Route 53 REST request to its operation name.
func route53Operation(method, path string) string {
	p := strings.Split(strings.Trim(path, "/"), "/")
	if len(p) < 2 {
		return ""
	}
	p = p[1:] // drop the API version
	key := method + " " + p[0]
	switch {
	case len(p) == 1:
		return map[string]string{
			"POST hostedzone":           "CreateHostedZone",
			"GET hostedzone":            "ListHostedZones",
			"GET hostedzonesbyname":     "ListHostedZonesByName",
			"GET hostedzonecount":       "GetHostedZoneCount",
			"POST healthcheck":          "CreateHealthCheck",
			"GET healthcheck":           "ListHealthChecks",
			"GET delegationset":         "ListReusableDelegationSets",
			"POST delegationset":        "CreateReusableDelegationSet",
			"GET queryloggingconfig":    "ListQueryLoggingConfigs",
			"POST queryloggingconfig":   "CreateQueryLoggingConfig",
			"GET hostedzonesbyvpc":      "ListHostedZonesByVPC",
			"GET checkeripranges":       "GetCheckerIpRanges",
			"GET geolocations":          "ListGeoLocations",
			"GET healthcheckcount":      "GetHealthCheckCount",
			"GET trafficpolicies":       "ListTrafficPolicies",
			"POST trafficpolicy":        "CreateTrafficPolicy",
			"GET dnssec":                "GetDNSSEC",
			"GET accountlimit":          "GetAccountLimit",
			"GET trafficpolicyinstance": "ListTrafficPolicyInstances",
		}[key]
	case len(p) == 2:
		return map[string]string{
			"GET hostedzone":     "GetHostedZone",
			"DELETE hostedzone":  "DeleteHostedZone",
			"POST hostedzone":    "UpdateHostedZoneComment",
			"GET change":         "GetChange",
			"GET healthcheck":    "GetHealthCheck",
			"POST healthcheck":   "UpdateHealthCheck",
			"DELETE healthcheck": "DeleteHealthCheck",
			"GET delegationset":  "GetReusableDelegationSet",
			"GET tags":           "ListTagsForResources",
			"POST tags":          "ListTagsForResources",
		}[key]
	case p[0] == "tags":
		return map[string]string{"GET": "ListTagsForResource", "POST": "ChangeTagsForResource"}[method]
	case p[0] == "healthcheck":
		return map[string]string{
			"GET status":            "GetHealthCheckStatus",
			"GET lastfailurereason": "GetHealthCheckLastFailureReason",
		}[method+" "+p[2]]
	case p[0] == "hostedzone":
		return map[string]string{
			"POST rrset":                   "ChangeResourceRecordSets",
			"GET rrset":                    "ListResourceRecordSets",
			"POST associatevpc":            "AssociateVPCWithHostedZone",
			"POST disassociatevpc":         "DisassociateVPCFromHostedZone",
			"GET dnssec":                   "GetDNSSEC",
			"POST enable-dnssec":           "EnableHostedZoneDNSSEC",
			"POST disable-dnssec":          "DisableHostedZoneDNSSEC",
			"POST authorizevpcassociation": "CreateVPCAssociationAuthorization",
		}[method+" "+p[2]]
	}
	return ""
}

// s3Operation names the common S3 operations of a path-style request (best effort).
func s3Operation(method, path string, query url.Values) string {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	for _, sub := range []string{"notification", "tagging", "versioning", "policy", "acl", "lifecycle", "cors", "encryption"} {
		if _, ok := query[sub]; ok && bucket != "" && key == "" {
			verb := map[string]string{"GET": "Get", "PUT": "Put", "DELETE": "Delete"}[method]
			return verb + "Bucket" + strings.ToUpper(sub[:1]) + sub[1:]
		}
	}
	switch {
	case bucket == "":
		return "ListBuckets"
	case key == "":
		if method == http.MethodGet && query.Get("list-type") == "2" {
			return "ListObjectsV2"
		}
		return map[string]string{"GET": "ListObjects", "PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket", "POST": "DeleteObjects"}[method]
	default:
		if _, ok := query["uploads"]; ok {
			return "CreateMultipartUpload"
		}
		return map[string]string{"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}[method]
	}
}
