package gateway

import (
	"net/http"
	"sync"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
)

// lbAddresses is where the local AWS says its load balancers listen (package lbaddr): a resolver the harness that
// serves them sets. It is not a fault: ClearFaults leaves it.
type lbAddresses struct {
	mu sync.RWMutex
	r  lbaddr.Resolver
}

// SetLoadBalancerResolver makes the gateway answer lbaddr.Path with r (nil: with no address).
func (g *Gateway) SetLoadBalancerResolver(r lbaddr.Resolver) {
	g.lbAddresses.mu.Lock()
	defer g.lbAddresses.mu.Unlock()
	g.lbAddresses.r = r
}

func (g *Gateway) serveLBAddress(w http.ResponseWriter, r *http.Request) {
	g.lbAddresses.mu.RLock()
	resolve := g.lbAddresses.r
	g.lbAddresses.mu.RUnlock()
	lbaddr.Handler(resolve).ServeHTTP(w, r)
}
