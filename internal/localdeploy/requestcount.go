package localdeploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
)

// What an Application Load Balancer publishes to CloudWatch, and how the local ones publish it (Elastic Load
// Balancing user guide, "CloudWatch metrics for your Application Load Balancer"): RequestCount, the number of
// requests processed, in namespace AWS/ApplicationELB with the dimension LoadBalancer = app/<name>/<id> (the ARN's
// part after "loadbalancer/"), reported only for periods in which requests flowed, Sum being the statistic that
// means something. An ALB reports at 60-second resolution; the local ones can report at 1 second
// (SetRequestCountResolution) so that short local bakes have data.
const (
	ALBNamespace      = "AWS/ApplicationELB"
	RequestCountName  = "RequestCount"
	LoadBalancerDimen = "LoadBalancer"
	// publishEvery is how often the local load balancers publish the requests they counted.
	publishEvery = time.Second
	// maxDatums is the most metric data PutMetricData takes in one call.
	maxDatums = 1000
)

// LoadBalancerDimension is the LoadBalancer dimension's value of the load balancer with that ARN
// (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id> → app/<name>/<id>); "" for an ARN
// of another shape.
func LoadBalancerDimension(arn string) string {
	_, after, ok := strings.Cut(arn, ":loadbalancer/")
	if !ok {
		return ""
	}
	return after
}

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

// publish publishes every second until done is closed, and once more then.
func (s *AppServer) publish(done <-chan struct{}) {
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			_ = s.FlushRequestCounts(context.Background())
			return
		case <-t.C:
			_ = s.FlushRequestCounts(context.Background()) // what failed is counted again next time
		}
	}
}

// FlushRequestCounts publishes the requests the load balancers counted since the last publication, as one
// datapoint per load balancer stamped now. Counts that could not be published are kept for the next time.
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
	now := time.Now().UTC()
	type taken struct {
		lb *loadBalancer
		n  int64
	}
	var took []taken
	var data []cwtypes.MetricDatum
	s.lbs.mu.Lock()
	for _, lb := range s.lbs.byName {
		dim := LoadBalancerDimension(lb.arn)
		if dim == "" {
			continue
		}
		n := lb.requests.Swap(0)
		if n == 0 {
			continue // an ALB reports nothing for a period with no requests
		}
		took = append(took, taken{lb, n})
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String(RequestCountName), Dimensions: []cwtypes.Dimension{{Name: aws.String(LoadBalancerDimen), Value: aws.String(dim)}},
			Timestamp: aws.Time(now), Value: aws.Float64(float64(n)), Unit: cwtypes.StandardUnitCount, StorageResolution: aws.Int32(resolution),
		})
	}
	s.lbs.mu.Unlock()
	for i := 0; i < len(data); i += maxDatums {
		end := min(i+maxDatums, len(data))
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ALBNamespace), MetricData: data[i:end]}); err != nil {
			for _, t := range took[i:] {
				t.lb.requests.Add(t.n)
			}
			return fmt.Errorf("publish the local load balancers' %s: %w", RequestCountName, err)
		}
	}
	return nil
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
