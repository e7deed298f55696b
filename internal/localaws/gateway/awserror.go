package gateway

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
)

// requestIDHeader is the header every response carries: moto's interpreter fails on a
// Lambda response without it.
const requestIDHeader = "X-Amzn-Requestid"

// protocol is how a service encodes its errors on the wire.
type protocol int

const (
	protoQuery    protocol = iota // form-encoded query services: <ErrorResponse> XML
	protoJSON                     // X-Amz-Target JSON services: {"__type": ...}
	protoRoute53                  // Route 53 REST XML
	protoRESTJSON                 // Lambda: X-Amzn-ErrorType and a JSON body
	protoS3                       // S3: <Error> XML
)

// protocolOf tells which protocol a request speaks.
func protocolOf(r *http.Request, c Call) protocol {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return protoJSON
	case c.Service == "route53":
		return protoRoute53
	case c.Service == "lambda":
		return protoRESTJSON
	case c.Service == "s3":
		return protoS3
	}
	return protoQuery
}

// throttle is how a service of that protocol answers a throttled call.
func (p protocol) throttle() (status int, code, message string) {
	switch p {
	case protoJSON:
		return http.StatusBadRequest, "ThrottlingException", "Rate exceeded"
	case protoRESTJSON:
		return http.StatusTooManyRequests, "TooManyRequestsException", "Rate exceeded"
	case protoS3:
		return http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
	}
	return http.StatusBadRequest, "Throttling", "Rate exceeded"
}

// writeAWSError answers as the service would with an error of that status and code.
func writeAWSError(w http.ResponseWriter, r *http.Request, p protocol, status int, code, message string) {
	id := w.Header().Get(requestIDHeader)
	if id == "" {
		id = newRequestID()
		w.Header().Set(requestIDHeader, id)
	}
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	var body string
	switch p {
	case protoJSON:
		ct := r.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "application/x-amz-json") {
			ct = "application/x-amz-json-1.0"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Amzn-ErrorType", code)
		b, _ := json.Marshal(map[string]string{"__type": code, "message": message})
		body = string(b)
	case protoRESTJSON:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", code)
		typ := "User"
		if status >= 500 {
			typ = "Service"
		}
		b, _ := json.Marshal(map[string]string{"Type": typ, "message": message})
		body = string(b)
	case protoS3:
		w.Header().Set("Content-Type", "application/xml")
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
			html.EscapeString(code), html.EscapeString(message), id)
	default:
		ns := ""
		if p == protoRoute53 {
			ns = ` xmlns="https://route53.amazonaws.com/doc/2013-04-01/"`
		}
		w.Header().Set("Content-Type", "text/xml")
		body = fmt.Sprintf(`<?xml version="1.0"?>`+"\n"+
			`<ErrorResponse%s><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			ns, kind, html.EscapeString(code), html.EscapeString(message), id)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// newRequestID returns a random request id in UUID form.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
