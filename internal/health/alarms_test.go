package health

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func TestCheckAlarms(t *testing.T) {
	const metric = "AWS/ApplicationELB/HTTPCode_Target_5XX_Count Sum (GreaterThanThreshold)"
	cw := &fakeCloudWatch{
		metric: map[string]cwtypes.MetricAlarm{
			"web-5xx":     metricAlarm("web-5xx", cwtypes.StateValueOk, "Threshold Crossed: no datapoints were breaching"),
			"web-latency": metricAlarm("web-latency", cwtypes.StateValueAlarm, "Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (5.0)"),
			"web-new":     metricAlarm("web-new", cwtypes.StateValueInsufficientData, "Unchecked: Initial alarm creation"),
		},
		composite: map[string]cwtypes.CompositeAlarm{
			"web-any": {AlarmName: aws.String("web-any"), StateValue: cwtypes.StateValueOk,
				AlarmRule: aws.String(`ALARM("web-5xx") OR ALARM("web-latency")`)},
		},
	}
	tests := []struct {
		name         string
		alarms       []string
		wantFailures []string
		wantNote     string
		wantAlarms   []Alarm
	}{
		{
			name:     "OK",
			alarms:   []string{"web-5xx"},
			wantNote: "1 alarm OK",
			wantAlarms: []Alarm{{Name: "web-5xx", State: "OK", Metric: metric, Threshold: 5,
				Reason: "Threshold Crossed: no datapoints were breaching"}},
		},
		{
			name:         "ALARM fails",
			alarms:       []string{"web-5xx", "web-latency"},
			wantFailures: []string{"alarm web-latency is ALARM: Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (5.0)"},
			wantAlarms: []Alarm{
				{Name: "web-5xx", State: "OK", Metric: metric, Threshold: 5, Reason: "Threshold Crossed: no datapoints were breaching"},
				{Name: "web-latency", State: "ALARM", Metric: metric, Threshold: 5,
					Reason: "Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (5.0)"},
			},
		},
		{
			name:     "INSUFFICIENT_DATA passes and is reported",
			alarms:   []string{"web-new", "web-5xx"},
			wantNote: "1 alarm OK, 1 INSUFFICIENT_DATA",
			wantAlarms: []Alarm{
				{Name: "web-new", State: "INSUFFICIENT_DATA", Metric: metric, Threshold: 5, Reason: "Unchecked: Initial alarm creation"},
				{Name: "web-5xx", State: "OK", Metric: metric, Threshold: 5, Reason: "Threshold Crossed: no datapoints were breaching"},
			},
		},
		{
			name:         "a missing alarm fails",
			alarms:       []string{"web-typo"},
			wantFailures: []string{"alarm web-typo not found"},
			wantAlarms:   []Alarm{{Name: "web-typo", State: AlarmNotFound, Reason: "CloudWatch has no alarm of this name"}},
		},
		{
			name:     "a composite alarm is found",
			alarms:   []string{"web-any"},
			wantNote: "1 alarm OK",
			wantAlarms: []Alarm{{Name: "web-any", State: "OK",
				Metric: `composite: ALARM("web-5xx") OR ALARM("web-latency")`}},
		},
		{
			name:     "a name given twice is one alarm",
			alarms:   []string{"web-5xx", "web-5xx"},
			wantNote: "1 alarm OK",
			wantAlarms: []Alarm{{Name: "web-5xx", State: "OK", Metric: metric, Threshold: 5,
				Reason: "Threshold Crossed: no datapoints were breaching"}},
		},
		{
			name: "no alarms: skipped",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewChecker(nil, cw).checkAlarms(context.Background(), tt.alarms)

			if diff := cmp.Diff(got.failures, tt.wantFailures); diff != "" {
				t.Errorf("failures (-got +want):\n%s", diff)
			}
			if got.note != tt.wantNote {
				t.Errorf("note = %q, want %q", got.note, tt.wantNote)
			}
			if diff := cmp.Diff(got.evidence, tt.wantAlarms); diff != "" {
				t.Errorf("alarms (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCheckAlarmsPaginates(t *testing.T) {
	// 250 names: 248 alarms that exist (one in ALARM), 2 that do not. CloudWatch takes 100 names per call and, in
	// this fake, returns at most 40 alarms per page.
	cw := &fakeCloudWatch{metric: map[string]cwtypes.MetricAlarm{}, pageLimit: 40}
	var names []string
	for i := range 250 {
		name := fmt.Sprintf("alarm-%03d", i)
		names = append(names, name)
		switch i {
		case 17, 201:
			continue // missing
		case 230:
			cw.metric[name] = metricAlarm(name, cwtypes.StateValueAlarm, "breaching")
		default:
			cw.metric[name] = metricAlarm(name, cwtypes.StateValueOk, "fine")
		}
	}

	got := NewChecker(nil, cw).checkAlarms(context.Background(), names)

	want := []string{"alarm alarm-017 not found", "alarm alarm-201 not found", "alarm alarm-230 is ALARM: breaching"}
	if diff := cmp.Diff(got.failures, want); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	if len(got.evidence) != 250 {
		t.Errorf("%d alarms in evidence, want 250", len(got.evidence))
	}
	// Calls: names 0-99 (99 exist: pages of 40, 40, 19), 100-199 (100: 40, 40, 20), 200-249 (49: 40, 9).
	var gotCalls []string
	for _, in := range cw.calls {
		gotCalls = append(gotCalls, fmt.Sprintf("%s..%s token=%s", in.AlarmNames[0], in.AlarmNames[len(in.AlarmNames)-1],
			aws.ToString(in.NextToken)))
	}
	wantCalls := []string{
		"alarm-000..alarm-099 token=", "alarm-000..alarm-099 token=page-40", "alarm-000..alarm-099 token=page-80",
		"alarm-100..alarm-199 token=", "alarm-100..alarm-199 token=page-40", "alarm-100..alarm-199 token=page-80",
		"alarm-200..alarm-249 token=", "alarm-200..alarm-249 token=page-40",
	}
	if diff := cmp.Diff(gotCalls, wantCalls); diff != "" {
		t.Errorf("DescribeAlarms calls (-got +want):\n%s", diff)
	}
}

func TestCheckAlarmsAPIError(t *testing.T) {
	cw := &fakeCloudWatch{fail: &smithy.GenericAPIError{Code: "AccessDenied",
		Message: "User is not authorized to perform: cloudwatch:DescribeAlarms"}}

	got := NewChecker(nil, cw).checkAlarms(context.Background(), []string{"a", "b", "c", "d"})

	want := []string{"alarms a, b, c and 1 more: DescribeAlarms: AccessDenied: User is not authorized to perform: " +
		"cloudwatch:DescribeAlarms"}
	if diff := cmp.Diff(got.failures, want); diff != "" {
		t.Errorf("failures (-got +want):\n%s", diff)
	}
	if got.evidence != nil {
		t.Errorf("evidence = %+v, want none for alarms that could not be read", got.evidence)
	}
}
