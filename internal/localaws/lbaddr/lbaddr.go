// Package lbaddr is how the local AWS tells the functions where its load balancers listen. On AWS a load balancer's
// DNS name resolves to its nodes, and a listener is a port on them; the local AWS's load balancers have moto's names,
// which resolve nowhere, and each listener is a port of its own on 127.0.0.1. The gateway answers
//
//	GET /_localaws/lb-address?host=<load balancer DNS name>&port=<listener port>
//
// with that address ({"address": "127.0.0.1:41234"}; 404 when it has none), and the health check function, in local
// mode only (invoke.Env.LocalLoadBalancers), looks probe host names up there instead of in DNS (Client, a
// health.AddressMap). This package owns both sides of that exchange.
package lbaddr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Path is where the local AWS's gateway serves the addresses.
const Path = "/_localaws/lb-address"

// Resolver says where the local AWS serves port of the load balancer named host; a *NotFoundError when nowhere.
type Resolver func(ctx context.Context, host, port string) (netip.AddrPort, error)

// NotFoundError says the local AWS serves no such load balancer listener.
type NotFoundError struct {
	Host, Port string
	// Reason says why, when there is more to say than "no such load balancer".
	Reason string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("the local AWS serves no load balancer listener %s:%s", e.Host, e.Port)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// answer is the exchange's body: the address, or why there is none (a NotFoundError's reason, or another error).
type answer struct {
	Address string `json:"address,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Handler serves Path with r; a nil r serves nothing (404).
func Handler(r Resolver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, port := req.URL.Query().Get("host"), req.URL.Query().Get("port")
		var a netip.AddrPort
		err := error(&NotFoundError{Host: host, Port: port, Reason: "no load balancers are served"})
		if r != nil {
			a, err = r(req.Context(), host, port)
		}
		w.Header().Set("Content-Type", "application/json")
		var nf *NotFoundError
		switch {
		case errors.As(err, &nf):
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(answer{Reason: nf.Reason, Message: err.Error()})
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(answer{Message: err.Error()})
		default:
			_ = json.NewEncoder(w).Encode(answer{Address: a.String()})
		}
	})
}

// Client asks a local AWS for its load balancers' addresses. It is a health.AddressMap.
type Client struct {
	url  string
	http *http.Client
}

// NewClient returns a client of the local AWS at endpoint (its gateway's URL, AWS_ENDPOINT_URL). It never uses a
// proxy.
func NewClient(endpoint string) *Client {
	return &Client{
		url:  strings.TrimSuffix(endpoint, "/") + Path,
		http: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second},
	}
}

// LookupAddrPort returns where the local AWS serves port of the load balancer named host.
func (c *Client) LookupAddrPort(ctx context.Context, host, port string) (netip.AddrPort, error) {
	q := url.Values{"host": {host}, "port": {port}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"?"+q.Encode(), nil)
	if err != nil {
		return netip.AddrPort{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("ask the local AWS where %s:%s is served: %w", host, port, err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&a); err != nil {
		return netip.AddrPort{}, fmt.Errorf("the local AWS's answer for %s:%s (HTTP %d): %w", host, port, resp.StatusCode, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		ap, err := netip.ParseAddrPort(a.Address)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("the local AWS's address for %s:%s: %w", host, port, err)
		}
		return ap, nil
	case http.StatusNotFound:
		return netip.AddrPort{}, &NotFoundError{Host: host, Port: port, Reason: a.Reason}
	}
	return netip.AddrPort{}, fmt.Errorf("the local AWS's answer for %s:%s: HTTP %d: %s", host, port, resp.StatusCode, a.Message)
}
