package localdeploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
)

// How the local load balancers publish RequestCount, as an Application Load Balancer does (package health has the
// metric's namespace, name and dimension, from the Elastic Load Balancing user guide, "CloudWatch metrics for your
// Application Load Balancer"): the number of requests received, reported only for periods in which requests
// flowed, Sum being the statistic that means something. An ALB reports at 60-second resolution; the local ones can
// report at 1 second (SetRequestCountResolution) so that short local bakes have data.
const (
	// publishEvery is how often the local load balancers publish the requests they counted.
	publishEvery = time.Second
	// maxDatums is the most metric data PutMetricData takes in one call.
	maxDatums = 1000
)

// cloudWatchAPI is the call the local load balancers publish with.
type cloudWatchAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

var _ cloudWatchAPI = (*cloudwatch.Client)(nil)

// PublishRequestCounts makes the local load balancers publish their RequestCount to cw once a second (nil: stop
// publishing; the counts wait).
func (s *AppServer) PublishRequestCounts(cw cloudWatchAPI) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cw = cw
}

// SetRequestCountResolution makes the local load balancers publish at 1-second (high) resolution, or at 60 seconds
// as an ALB does.
func (s *AppServer) SetRequestCountResolution(highResolution bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.highResolution = highResolution
}

// publish publishes every second until done is closed, and once more then; each publication has 5 s at most.
func (s *AppServer) publish(done <-chan struct{}) {
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	flush := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.FlushRequestCounts(ctx) // what failed is published with the next
	}
	for {
		select {
		case <-done:
			flush()
			return
		case <-t.C:
			flush()
		}
	}
}

// FlushRequestCounts publishes the requests the load balancers counted since the last publication: one datapoint
// per load balancer and second, stamped with the second the requests came in, as an ALB's metrics count requests
// when they were received. Counts that could not be published are kept for the next time.
func (s *AppServer) FlushRequestCounts(ctx context.Context) error {
	s.mu.Lock()
	cw, resolution := s.cw, int32(60)
	if s.highResolution {
		resolution = 1
	}
	s.mu.Unlock()
	if cw == nil {
		return nil
	}
	type taken struct {
		lb     *loadBalancer
		dim    string
		counts map[int64]int64
	}
	var took []taken
	s.lbs.mu.Lock()
	for _, lb := range s.lbs.byName {
		dim, err := health.LoadBalancerMetricDimension(lb.arn)
		if err != nil {
			continue // not a load balancer the ELB API knows
		}
		if counts := lb.take(); len(counts) > 0 { // an ALB reports nothing for a period with no requests
			took = append(took, taken{lb, dim, counts})
		}
	}
	s.lbs.mu.Unlock()
	var errs []error
	for _, t := range took {
		data := make([]cwtypes.MetricDatum, 0, len(t.counts))
		for sec, n := range t.counts {
			data = append(data, cwtypes.MetricDatum{
				MetricName: aws.String(health.RequestCountMetric), Dimensions: []cwtypes.Dimension{{Name: aws.String(health.LoadBalancerDimension), Value: aws.String(t.dim)}},
				Timestamp: aws.Time(time.Unix(sec, 0).UTC()), Value: aws.Float64(float64(n)), Unit: cwtypes.StandardUnitCount,
				StorageResolution: aws.Int32(resolution),
			})
		}
		for len(data) > 0 {
			chunk := data[:min(maxDatums, len(data))]
			if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(health.ALBNamespace), MetricData: chunk}); err != nil {
				rest := map[int64]int64{}
				for _, d := range data {
					rest[d.Timestamp.Unix()] = int64(*d.Value)
				}
				t.lb.putBack(rest)
				errs = append(errs, fmt.Errorf("publish the %s of load balancer %s: %w", health.RequestCountMetric, t.lb.name, err))
				break
			}
			data = data[len(chunk):]
		}
	}
	return errors.Join(errs...)
}

// dataPlaneCloudWatch is the local CloudWatch as the load balancers publish to it: the query protocol (moto does not
// speak the SDK's default CBOR), signed with the data plane's key, as AWS's own services' calls are not the
// account's: the gateway neither logs nor meters them.
func dataPlaneCloudWatch(cfg aws.Config) *cloudwatch.Client {
	cfg = cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(dataplane.AccessKey, "localaws", "")
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
}
