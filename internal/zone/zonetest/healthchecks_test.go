package zonetest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// A record may name only a health check the account has: the check first, then the record. Deleting a check a
// record still names is not refused (Route 53 does not stop it). CallerReference rules as Route 53's.
func TestHealthChecks(t *testing.T) {
	ctx := context.Background()
	f := newZone(t)
	rs := weighted(withType(a("www.example.com", 60, "blue.example.com"), types.RRTypeCname), "blue", 10)
	rs.HealthCheckId = aws.String("hc-0001")
	if msgs := problems(t, send(f, ch(types.ChangeActionCreate, rs))); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "No health check exists with the specified ID hc-0001") {
		t.Errorf("a record naming a missing check: %q", msgs)
	}
	cfg := &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp, FullyQualifiedDomainName: aws.String("blue.example.com"), Port: aws.Int32(80)}
	create := func(ref string, c *types.HealthCheckConfig) (string, error) {
		out, err := f.CreateHealthCheck(ctx, &route53.CreateHealthCheckInput{CallerReference: aws.String(ref), HealthCheckConfig: c})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.HealthCheck.Id), nil
	}
	id, err := create("ref-1", cfg)
	if err != nil || id != "hc-0001" {
		t.Fatalf("create = %q, %v", id, err)
	}
	if again, err := create("ref-1", cfg); err != nil || again != id {
		t.Errorf("the same reference and settings = %q, %v; want the same check", again, err)
	}
	other := *cfg
	other.Port = aws.Int32(8080)
	var exists *types.HealthCheckAlreadyExists
	if _, err := create("ref-1", &other); !errors.As(err, &exists) {
		t.Errorf("the same reference, other settings = %v, want HealthCheckAlreadyExists", err)
	}
	if err := send(f, ch(types.ChangeActionCreate, rs)); err != nil {
		t.Fatalf("a record naming an existing check: %v", err)
	}
	if _, err := f.DeleteHealthCheck(ctx, &route53.DeleteHealthCheckInput{HealthCheckId: aws.String(id)}); err != nil {
		t.Errorf("deleting a check in use: %v, want it done (Route 53 does not prevent it)", err)
	}
	if _, err := create("ref-1", cfg); !errors.As(err, &exists) {
		t.Errorf("a deleted check's reference = %v, want HealthCheckAlreadyExists", err)
	}
	var gone *types.NoSuchHealthCheck
	if _, err := f.DeleteHealthCheck(ctx, &route53.DeleteHealthCheckInput{HealthCheckId: aws.String(id)}); !errors.As(err, &gone) {
		t.Errorf("deleting a deleted check = %v, want NoSuchHealthCheck", err)
	}
	if err := send(f, ch(types.ChangeActionDelete, rs)); err != nil {
		t.Errorf("deleting the record of a deleted check: %v", err)
	}
}
