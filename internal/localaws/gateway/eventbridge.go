package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
)

// The local AWS's EventBridge: the default bus (package eventbus) reads the rules moto stores, and starts the
// executions of state machine targets by calling Step Functions through the gateway itself (so they are logged and
// can be faulted like any call), signed with EventsAccessKey. PutEvents is answered by the bus; the AWS services'
// own events reach it through the control API (POST /_localaws/events/service, from the launcher's patches).

// Account is the account moto answers for.
const Account = "123456789012"

// EventsAccessKey is the access key the local EventBridge signs its deliveries with (Call.AccessKey in the log).
const EventsAccessKey = "localaws-eventbridge"

// newBus starts the gateway's event bus.
func (g *Gateway) newBus(cfg Config) *eventbus.Bus {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	creds := credentials.NewStaticCredentialsProvider(EventsAccessKey, "localaws", "")
	rules := eventbridge.New(eventbridge.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(cfg.Backend)})
	states := sfn.New(sfn.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String("http://127.0.0.1"),
		HTTPClient: handlerClient{g}})
	return eventbus.New(eventbus.Config{
		Account: Account, Region: region,
		Rules:     func(ctx context.Context) ([]eventbus.Rule, error) { return listRules(ctx, rules) },
		Starter:   starter{states},
		Retryable: retryableDelivery,
		RealTime:  cfg.RealTimeSchedules,
	})
}

// Events is the gateway's EventBridge default bus: its record of events and deliveries, its schedules' clock.
func (g *Gateway) Events() *eventbus.Bus { return g.bus }

// handlerClient sends the SDK's requests to an http.Handler in this process.
type handlerClient struct{ h http.Handler }

func (c handlerClient) Do(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	r.RequestURI = r.URL.RequestURI()
	c.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// starter starts executions through Step Functions' API.
type starter struct{ api *sfn.Client }

func (s starter) StartExecution(ctx context.Context, machine, name, input string) (string, error) {
	out, err := s.api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}

// retryableDelivery: EventBridge retries a delivery that was throttled or met a server error, not one the target
// refused ("Event retry policy and using dead-letter queues", EventBridge User Guide).
func retryableDelivery(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorFault() == smithy.FaultServer || strings.Contains(api.ErrorCode(), "Throttl") || api.ErrorCode() == "TooManyRequestsException"
	}
	return true // no answer at all
}

// listRules reads the default bus's rules and their targets from moto.
func listRules(ctx context.Context, api *eventbridge.Client) ([]eventbus.Rule, error) {
	var out []eventbus.Rule
	var token *string
	for {
		page, err := api.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: token})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rules {
			rule := eventbus.Rule{
				Name: aws.ToString(r.Name), ARN: aws.ToString(r.Arn), EventPattern: aws.ToString(r.EventPattern),
				ScheduleExpression: aws.ToString(r.ScheduleExpression), Enabled: r.State == "ENABLED",
			}
			if bus := aws.ToString(r.EventBusName); bus != "" && bus != "default" {
				continue
			}
			var tok *string
			for {
				ts, err := api.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name, NextToken: tok})
				if err != nil {
					return nil, err
				}
				for _, t := range ts.Targets {
					target := eventbus.Target{ID: aws.ToString(t.Id), ARN: aws.ToString(t.Arn), RoleARN: aws.ToString(t.RoleArn),
						Input: aws.ToString(t.Input), InputPath: aws.ToString(t.InputPath)}
					if tr := t.InputTransformer; tr != nil {
						target.InputTransformer = &eventbus.Transformer{InputPathsMap: tr.InputPathsMap, InputTemplate: aws.ToString(tr.InputTemplate)}
					}
					rule.Targets = append(rule.Targets, target)
				}
				if tok = ts.NextToken; tok == nil {
					break
				}
			}
			out = append(out, rule)
		}
		if token = page.NextToken; token == nil {
			return out, nil
		}
	}
}

// eventsWrite reports whether an EventBridge call may change the rules (the bus reads them again after it).
func eventsWrite(c Call) bool {
	if c.Service != "events" {
		return false
	}
	for _, read := range []string{"List", "Describe", "Test", "PutEvents"} {
		if strings.HasPrefix(c.Operation, read) {
			return false
		}
	}
	return true
}

// putEventsRequest is PutEvents' input (JSON 1.1).
type putEventsRequest struct {
	Entries []struct {
		Source, DetailType, Detail, EventBusName string
		Resources                                []string
		Time                                     *json.Number
	}
}

// maxPutEntries bounds PutEvents' entries.
const maxPutEntries = 10

// servePutEvents answers PutEvents from the bus: entries on the default bus are judged and delivered one by one;
// the local EventBridge models no other bus.
func (g *Gateway) servePutEvents(w http.ResponseWriter, r *http.Request, c Call, body []byte) {
	var req putEventsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeAWSError(w, r, protocolOf(r, c), http.StatusBadRequest, "ValidationException", "PutEvents: "+err.Error())
		return
	}
	if n := len(req.Entries); n < 1 || n > maxPutEntries {
		writeAWSError(w, r, protocolOf(r, c), http.StatusBadRequest, "ValidationException",
			"1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10")
		return
	}
	results := make([]eventbus.Result, len(req.Entries))
	var entries []eventbus.Entry
	var at []int
	for i, e := range req.Entries {
		if bus := e.EventBusName; bus != "" && bus != "default" && !strings.HasSuffix(bus, ":event-bus/default") {
			results[i] = eventbus.Result{ErrorCode: "InternalException", ErrorMessage: "the local EventBridge models the default event bus only, not " + bus}
			continue
		}
		entry := eventbus.Entry{Source: e.Source, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources}
		if e.Time != nil {
			if f, err := e.Time.Float64(); err == nil {
				t := time.Unix(0, int64(f*float64(time.Second))).UTC()
				entry.Time = &t
			}
		}
		entries, at = append(entries, entry), append(at, i)
	}
	for j, res := range g.bus.PutEntries(entries) {
		results[at[j]] = res
	}
	failed := 0
	for _, res := range results {
		if res.ErrorCode != "" {
			failed++
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set(requestIDHeader, newRequestID())
	_ = json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": failed, "Entries": results})
}

// servePutServiceEvent takes an AWS service's event for the bus (the launcher's patches post them).
func (g *Gateway) servePutServiceEvent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = g.bus.Put(body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// serveAdvance moves the schedules' clock: POST /_localaws/events/clock?advance=5m.
func (g *Gateway) serveAdvance(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("advance"))
	if err == nil && d <= 0 {
		err = errors.New("advance must be positive")
	}
	if err == nil {
		err = g.bus.Advance(d)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
