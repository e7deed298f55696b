package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Handler runs a Lambda function in-process. It has the method set of aws-lambda-go's
// lambda.Handler, so lambda.NewHandler(fn) is one.
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// invocation is one Lambda invoke, as a function runner receives it.
type invocation struct {
	requestID     string
	functionARN   string
	payload       []byte
	clientContext string // base64, as in X-Amz-Client-Context
}

// result is what a function returned: a payload, which is an error document
// ({"errorType", "errorMessage"}) when failed is set.
type result struct {
	payload []byte
	failed  bool
}

// Factory builds a fresh handler of an in-process function, with SDK clients of its own, as Lambda initializes an
// execution environment: the gateway calls it for each instance it starts.
type Factory func() (Handler, error)

// serveInvoke answers POST /2015-03-31/functions/{name}/invocations, and records in entry the instance that ran a
// synchronous invocation.
func (g *Gateway) serveInvoke(w http.ResponseWriter, r *http.Request, c Call, entry *Request) {
	fn, ok := g.functions[c.Function]
	if !ok {
		writeAWSError(w, r, protoRESTJSON, http.StatusNotFound, "ResourceNotFoundException",
			fmt.Sprintf("Function not found: %s (the local AWS serves %v)", c.Function, g.functionNames()))
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		writeAWSError(w, r, protoRESTJSON, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	inv := invocation{
		requestID:     newRequestID(),
		functionARN:   fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", region, c.Function),
		payload:       payload,
		clientContext: r.Header.Get("X-Amz-Client-Context"),
	}
	w.Header().Set(requestIDHeader, inv.requestID)
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
			defer cancel()
			_, _, _, _ = fn.invoke(ctx, inv)
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
	defer cancel()
	res, id, cold, err := fn.invoke(ctx, inv)
	entry.Instance, entry.Cold = id, cold
	if err != nil {
		writeAWSError(w, r, protoRESTJSON, http.StatusBadGateway, "ServiceException",
			fmt.Sprintf("function %s: %v", c.Function, err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if res.failed {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.payload)
}

// inProcess is an instance of a function run in the gateway's own process: one Handler.
type inProcess struct {
	handler Handler
}

// inProcessPool returns the pool of a function served in-process, whose instances build builds.
func inProcessPool(build Factory) *pool {
	return newPool(func(context.Context) (instance, error) {
		h, err := build()
		if err != nil {
			return nil, fmt.Errorf("initialize the handler: %w", err)
		}
		return inProcess{handler: h}, nil
	})
}

// invoke runs the handler. A handler that panicked or ran past its deadline is not reused: Lambda resets the
// environment, and the timed-out handler may still be running.
func (f inProcess) invoke(ctx context.Context, inv invocation) (result, bool, error) {
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       inv.requestID,
		InvokedFunctionArn: inv.functionARN,
	})
	type outcome struct {
		res      result
		panicked bool
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{errorResult(typeName(v), fmt.Sprint(v)), true}
			}
		}()
		out, err := f.handler.Invoke(ctx, inv.payload)
		if err != nil {
			done <- outcome{res: handlerError(err)}
			return
		}
		done <- outcome{res: result{payload: out}}
	}()
	select {
	case o := <-done:
		return o.res, !o.panicked, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return timedOut(), false, nil
		}
		return result{}, false, ctx.Err()
	}
}

func (inProcess) alive() bool { return true }

func (inProcess) close() error { return nil }

// handlerError renders an error as the Go Lambda runtime does: the error type's name
// (the pointed-to type's for a pointer) and its message.
func handlerError(err error) result {
	if ire, ok := err.(messages.InvokeResponse_Error); ok {
		return errorResult(ire.Type, ire.Message)
	}
	return errorResult(typeName(err), err.Error())
}

// typeName is the Go Lambda runtime's name for an error value's type.
func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func errorResult(errorType, message string) result {
	b, _ := json.Marshal(struct { // the field order of the Go runtime's answer
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{message, errorType})
	return result{payload: b, failed: true}
}

// timedOut is what Lambda answers when a function runs past its deadline.
func timedOut() result {
	return errorResult("Sandbox.Timedout", time.Now().UTC().Format(time.RFC3339)+" Task timed out")
}

// isErrorDocument reports whether a payload is a Lambda error document, as aws-lambda-rie
// returns a function's error (with status 200 and no X-Amz-Function-Error header).
func isErrorDocument(payload []byte) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(payload, &doc) != nil {
		return false
	}
	_, hasType := doc["errorType"]
	_, hasMessage := doc["errorMessage"]
	return hasType && hasMessage
}
