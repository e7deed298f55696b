package health

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// cloudWatchAPI is the part of CloudWatch the Checker uses.
type cloudWatchAPI interface {
	cloudwatch.DescribeAlarmsAPIClient
}

var _ cloudWatchAPI = (*cloudwatch.Client)(nil)

const (
	// AlarmNotFound is the State of a named alarm that CloudWatch does not know.
	AlarmNotFound = "NOT_FOUND"

	// alarmNamesPerCall is DescribeAlarms' limit on AlarmNames, and alarmsPerPage its limit on MaxRecords.
	alarmNamesPerCall = 100
	alarmsPerPage     = 100
)

// checkAlarms fails on an alarm in ALARM and on a named alarm that does not exist; INSUFFICIENT_DATA passes and is
// reported. Names are asked for 100 per call, each call's pages followed to the end, for every alarm type (without
// AlarmTypes, DescribeAlarms returns metric alarms only, and a composite alarm would look missing).
func (c *Checker) checkAlarms(ctx context.Context, names []string) partResult[Alarm] {
	var res partResult[Alarm]
	names = dedupe(names)
	found := make(map[string]Alarm, len(names))
	failed := make(map[string]bool)
	for start := 0; start < len(names); start += alarmNamesPerCall {
		chunk := names[start:min(start+alarmNamesPerCall, len(names))]
		pages := cloudwatch.NewDescribeAlarmsPaginator(c.cw, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: chunk,
			AlarmTypes: []cwtypes.AlarmType{
				cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm, cwtypes.AlarmTypeLogAlarm,
			},
			MaxRecords: aws.Int32(alarmsPerPage),
		})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				res.failures = append(res.failures, fmt.Sprintf("alarms %s: %s", nameList(chunk), apiErrText(err)))
				for _, n := range chunk {
					failed[n] = true
				}
				break
			}
			for _, a := range out.MetricAlarms {
				found[aws.ToString(a.AlarmName)] = metricAlarmEvidence(a)
			}
			for _, a := range out.CompositeAlarms {
				found[aws.ToString(a.AlarmName)] = Alarm{
					Name:   aws.ToString(a.AlarmName),
					State:  string(a.StateValue),
					Metric: "composite: " + aws.ToString(a.AlarmRule),
					Reason: aws.ToString(a.StateReason),
				}
			}
			for _, a := range out.LogAlarms {
				found[aws.ToString(a.AlarmName)] = Alarm{
					Name:      aws.ToString(a.AlarmName),
					State:     string(a.StateValue),
					Metric:    "log query (" + string(a.ComparisonOperator) + ")",
					Threshold: aws.ToFloat64(a.Threshold),
					Reason:    aws.ToString(a.StateReason),
				}
			}
		}
	}

	counts := map[string]int{}
	for _, name := range names {
		if failed[name] {
			continue
		}
		a, ok := found[name]
		if !ok {
			a = Alarm{Name: name, State: AlarmNotFound, Reason: "CloudWatch has no alarm of this name"}
			res.failures = append(res.failures, fmt.Sprintf("alarm %s not found", name))
		} else if a.State == string(cwtypes.StateValueAlarm) {
			line := fmt.Sprintf("alarm %s is ALARM", name)
			if a.Reason != "" {
				line += ": " + a.Reason
			}
			res.failures = append(res.failures, line)
		}
		counts[a.State]++
		res.evidence = append(res.evidence, a)
	}
	if len(names) > 0 && len(res.failures) == 0 {
		res.note = plural(counts[string(cwtypes.StateValueOk)], "alarm") + " OK"
		if n := counts[string(cwtypes.StateValueInsufficientData)]; n > 0 {
			res.note += fmt.Sprintf(", %d INSUFFICIENT_DATA", n)
		}
	}
	return res
}

func metricAlarmEvidence(a cwtypes.MetricAlarm) Alarm {
	var metric string
	switch {
	case a.MetricName != nil:
		metric = aws.ToString(a.Namespace) + "/" + aws.ToString(a.MetricName)
		if stat := string(a.Statistic) + aws.ToString(a.ExtendedStatistic); stat != "" {
			metric += " " + stat
		}
	default:
		metric = "metric math"
		for _, q := range a.Metrics {
			if aws.ToBool(q.ReturnData) && q.Expression != nil {
				metric += " " + aws.ToString(q.Expression)
				break
			}
		}
	}
	if a.ThresholdMetricId != nil {
		metric += " vs band " + aws.ToString(a.ThresholdMetricId)
	}
	if a.ComparisonOperator != "" {
		metric += " (" + string(a.ComparisonOperator) + ")"
	}
	return Alarm{
		Name:      aws.ToString(a.AlarmName),
		State:     string(a.StateValue),
		Metric:    metric,
		Threshold: aws.ToFloat64(a.Threshold),
		Reason:    aws.ToString(a.StateReason),
	}
}

// nameList names the first alarms of a list and counts the others.
func nameList(names []string) string {
	const shown = 3
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}
