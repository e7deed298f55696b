package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
)

// controlAPI serves the gateway's Go API over HTTP, for tests and tools that drive a
// standalone local AWS (cmd/localaws). Bodies are JSON.
//
//	GET    /_localaws/health                   200 once the gateway answers
//	GET    /_localaws/requests                 the request log
//	DELETE /_localaws/requests                 ResetLog
//	POST   /_localaws/faults                   Inject; body a Fault; answers {"id": ...}
//	DELETE /_localaws/faults                   ClearFaults (faults and overrides)
//	GET    /_localaws/faults/{id}              {"id", "fault", "hits", "arrived"}
//	POST   /_localaws/faults/{id}/release      Release
//	PUT    /_localaws/stacks/{name}/status     SetStackStatus; body a StackStatus
//	PUT    /_localaws/targets/{id}/health      SetTargetHealth; body a TargetHealth
//	GET    /_localaws/lb-address?host=&port=   where a local load balancer listens (package lbaddr)
//	POST   /_localaws/events/service           an AWS service's event for the default bus (the launcher's patches)
//	GET    /_localaws/events                   the event bus's record: each event, the rules it matched, deliveries
//	POST   /_localaws/events/clock?advance=5m  move the schedules' clock on (scheduled rules fire)
func (g *Gateway) controlAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+lbaddr.Path, g.serveLBAddress)
	mux.HandleFunc("GET /_localaws/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"functions": g.functionNames()})
	})
	mux.HandleFunc("GET /_localaws/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, g.Requests())
	})
	mux.HandleFunc("DELETE /_localaws/requests", func(w http.ResponseWriter, r *http.Request) {
		g.ResetLog()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_localaws/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !readJSON(w, r, &f) {
			return
		}
		i, err := g.Inject(f)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]string{"id": i.ID})
	})
	mux.HandleFunc("DELETE /_localaws/faults", func(w http.ResponseWriter, r *http.Request) {
		g.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_localaws/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		i, ok := g.Fault(r.PathValue("id"))
		if !ok {
			http.Error(w, "no fault "+r.PathValue("id"), http.StatusNotFound)
			return
		}
		arrived := false
		select {
		case <-i.Arrived():
			arrived = true
		default:
		}
		writeJSON(w, map[string]any{"id": i.ID, "fault": i.Fault, "hits": i.Hits(), "arrived": arrived})
	})
	mux.HandleFunc("POST /_localaws/faults/{id}/release", func(w http.ResponseWriter, r *http.Request) {
		i, ok := g.Fault(r.PathValue("id"))
		if !ok {
			http.Error(w, "no fault "+r.PathValue("id"), http.StatusNotFound)
			return
		}
		i.Release()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_localaws/stacks/{name}/status", func(w http.ResponseWriter, r *http.Request) {
		var s StackStatus
		if readJSON(w, r, &s) {
			g.SetStackStatus(r.PathValue("name"), s)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("POST /_localaws/events/service", g.servePutServiceEvent)
	mux.HandleFunc("GET /_localaws/events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, g.bus.Records())
	})
	mux.HandleFunc("POST /_localaws/events/clock", g.serveAdvance)
	mux.HandleFunc("PUT /_localaws/targets/{id}/health", func(w http.ResponseWriter, r *http.Request) {
		var h TargetHealth
		if readJSON(w, r, &h) {
			g.SetTargetHealth(r.PathValue("id"), h)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	return mux
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		http.Error(w, "bad JSON body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
