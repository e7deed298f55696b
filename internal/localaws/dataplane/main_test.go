package dataplane_test

import (
	"os"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// local is the local AWS the tests against moto share; each test resets it.
var local *localaws.AWS

func TestMain(m *testing.M) {
	os.Exit(localawstest.Main(m, localaws.Options{DataPlane: dataplane.Options{
		LoadBalancerTTL:     2 * time.Second,
		HealthCheckInterval: 200 * time.Millisecond,
		Seed:                7,
	}}, &local))
}
