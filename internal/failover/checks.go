// Package failover is failover in Route 53's data plane (routing.failover): the Route 53 health checks of a CNAME
// app's stacks, the refusal of endpoints Route 53's checkers cannot reach, and which stack Route 53 serves when a
// stack is unhealthy (for an honest status).
package failover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// route53API is the part of Route 53 the health checks use.
type route53API interface {
	CreateHealthCheck(ctx context.Context, params *route53.CreateHealthCheckInput, optFns ...func(*route53.Options)) (*route53.CreateHealthCheckOutput, error)
	DeleteHealthCheck(ctx context.Context, params *route53.DeleteHealthCheckInput, optFns ...func(*route53.Options)) (*route53.DeleteHealthCheckOutput, error)
	route53.ListHealthChecksAPIClient
}

var _ route53API = (*route53.Client)(nil)

// The checkers' settings. A stack is unhealthy after FailureThreshold failed checks RequestInterval seconds apart
// (30 s with the fast interval), which is what failover takes on AWS before the TTL.
const (
	RequestInterval  = 10 // seconds: Route 53's fast interval
	FailureThreshold = 3
)

// maxGenerations bounds the CallerReference generations tried for one stack: Route 53 keeps a deleted health
// check's CallerReference for some days and refuses to reuse it (HealthCheckAlreadyExists), so turning failover off
// and on again for a stack that stays up needs a fresh one.
const maxGenerations = 8

// Spec is the Route 53 health check of one stack: HTTP or HTTPS to the stack's endpoint name.
type Spec struct {
	// App and StackID name the stack; its CallerReference is derived from them.
	App     string
	StackID string
	// FQDN is the stack's endpoint record (<app>-<id>.<zone>): what Route 53's checkers resolve and probe.
	FQDN string
	// HTTPS checks with TLS (SNI on), else HTTP.
	HTTPS bool
	// Port is the port probed (80 for HTTP, 443 for HTTPS when 0).
	Port int32
	// Path is the request path (health.path).
	Path string
}

func (s Spec) port() int32 {
	switch {
	case s.Port != 0:
		return s.Port
	case s.HTTPS:
		return 443
	}
	return 80
}

func (s Spec) config() *types.HealthCheckConfig {
	c := &types.HealthCheckConfig{
		Type:                     types.HealthCheckTypeHttp,
		FullyQualifiedDomainName: aws.String(s.FQDN),
		Port:                     aws.Int32(s.port()),
		ResourcePath:             aws.String(s.Path),
		RequestInterval:          aws.Int32(RequestInterval),
		FailureThreshold:         aws.Int32(FailureThreshold),
	}
	if s.HTTPS {
		c.Type, c.EnableSNI = types.HealthCheckTypeHttps, aws.Bool(true)
	}
	return c
}

// Prefix is the start of the CallerReference of every health check of app: "bluegreen/<app>/". An app name has no
// slash, so no app's prefix covers another's.
func Prefix(app string) string { return "bluegreen/" + app + "/" }

// stackPrefix is the start of the CallerReference of a stack's health checks with these settings: a change of
// settings (health.path, say) makes another check, and the old one goes once no record refers to it.
func (s Spec) stackPrefix() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%t|%d|%s", s.FQDN, s.Path, s.HTTPS, s.port(), "v1")))
	return Prefix(s.App) + s.StackID + "/" + hex.EncodeToString(sum[:4]) + "/"
}

// CallerReference is the health check's CallerReference in generation g (1, 2, ...): derived from the app, the
// stack and the settings alone, so that a retried create returns the check the first one made.
func (s Spec) CallerReference(g int) string { return fmt.Sprintf("%s%d", s.stackPrefix(), g) }

// Check is one of an app's health checks, as Route 53 lists it.
type Check struct {
	ID              string
	StackID         string
	CallerReference string
}

// Checks manages the apps' Route 53 health checks. They are found by their CallerReference (Prefix): no tag, so no
// call beyond the create, and ListHealthChecks, which returns the references.
type Checks struct {
	api route53API
}

// New returns the health checks of the account api calls.
func New(api route53API) *Checks { return &Checks{api: api} }

// List returns app's health checks. Route 53 lists the whole account's (up to 1,000 a page): one call for most.
func (c *Checks) List(ctx context.Context, app string) ([]Check, error) {
	var out []Check
	p := route53.NewListHealthChecksPaginator(c.api, &route53.ListHealthChecksInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the Route 53 health checks of app %s: %w", app, err)
		}
		for _, hc := range page.HealthChecks {
			ref := aws.ToString(hc.CallerReference)
			rest, ok := strings.CutPrefix(ref, Prefix(app))
			if !ok {
				continue
			}
			stack, _, _ := strings.Cut(rest, "/")
			out = append(out, Check{ID: aws.ToString(hc.Id), StackID: stack, CallerReference: ref})
		}
	}
	return out, nil
}

// Ensure returns the id of the stack's health check with spec's settings, creating it when the app has none (known
// lists the app's checks, from List; nil: listed here). Route 53 makes a create with a CallerReference it knows
// idempotent; a reference of a deleted check it refuses, and the next generation is tried.
func (c *Checks) Ensure(ctx context.Context, spec Spec, known []Check) (string, error) {
	if known == nil {
		var err error
		if known, err = c.List(ctx, spec.App); err != nil {
			return "", err
		}
	}
	for _, k := range known {
		if strings.HasPrefix(k.CallerReference, spec.stackPrefix()) {
			return k.ID, nil
		}
	}
	for g := 1; g <= maxGenerations; g++ {
		out, err := c.api.CreateHealthCheck(ctx, &route53.CreateHealthCheckInput{CallerReference: aws.String(spec.CallerReference(g)), HealthCheckConfig: spec.config()})
		var exists *types.HealthCheckAlreadyExists
		if errors.As(err, &exists) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create the Route 53 health check of stack %s-%s (%s): %w", spec.App, spec.StackID, spec.FQDN, err)
		}
		return aws.ToString(out.HealthCheck.Id), nil
	}
	return "", fmt.Errorf("create the Route 53 health check of stack %s-%s: Route 53 refused %d CallerReferences as used", spec.App, spec.StackID, maxGenerations)
}

// Delete deletes a health check; one already gone is no error. Route 53 deletes a check records still refer to:
// callers delete the records first.
func (c *Checks) Delete(ctx context.Context, id string) error {
	_, err := c.api.DeleteHealthCheck(ctx, &route53.DeleteHealthCheckInput{HealthCheckId: aws.String(id)})
	var gone *types.NoSuchHealthCheck
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("delete the Route 53 health check %s: %w", id, err)
	}
	return nil
}

// Sweep deletes app's health checks that no record refers to (inUse holds the ids the app's records name), of
// every stack or, when stackIDs are given, of those stacks only, and returns the ids it deleted.
func (c *Checks) Sweep(ctx context.Context, app string, inUse map[string]bool, stackIDs ...string) ([]string, error) {
	list, err := c.List(ctx, app)
	if err != nil {
		return nil, err
	}
	var deleted []string
	for _, k := range list {
		if inUse[k.ID] || (len(stackIDs) > 0 && !slices.Contains(stackIDs, k.StackID)) {
			continue
		}
		if err := c.Delete(ctx, k.ID); err != nil {
			return deleted, err
		}
		deleted = append(deleted, k.ID)
	}
	return deleted, nil
}
