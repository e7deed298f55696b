package gateway

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// route53Models holds the Route 53 model in force (package r53model), and the one the gateway was configured with.
type route53Models struct {
	mu    sync.Mutex
	base  *r53model.Config
	model *r53model.Model
}

func (s *route53Models) current() *r53model.Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model
}

func (s *route53Models) set(cfg *r53model.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model = nil
	if cfg != nil {
		s.model = r53model.New(*cfg)
	}
}

// SetRoute53 puts a Route 53 model in force, with full buckets and no change pending (nil: none, moto's own
// behaviour). It applies to the calls that arrive from now on.
func (g *Gateway) SetRoute53(cfg *r53model.Config) { g.route53.set(cfg) }

// ResetRoute53 puts the gateway's configured Route 53 model (Config.Route53) in force afresh: full buckets, no zone
// busy, no change pending.
func (g *Gateway) ResetRoute53() {
	g.route53.mu.Lock()
	base := g.route53.base
	g.route53.mu.Unlock()
	g.route53.set(base)
}

// Route53 returns the Route 53 model in force, nil when there is none.
func (g *Gateway) Route53() *r53model.Model { return g.route53.current() }

type ticketKey struct{}

// admitRoute53 asks the Route 53 model in force about a Route 53 call, and answers it when the model refuses it
// (Throttling, PriorRequestNotComplete) or when it is a GetChange of a change the model made. It returns the
// refusing rule for the request log, whether it answered, and, for a change batch admitted, the ticket on which
// moto's answer is reported.
func (g *Gateway) admitRoute53(w http.ResponseWriter, r *http.Request, c Call, body []byte) (ticket *r53model.Ticket, limit string, answered bool) {
	m := g.route53.current()
	if m == nil || c.Service != "route53" {
		return nil, "", false
	}
	req := r53model.Request{Caller: c.AccessKey, Operation: c.Operation}
	if c.Operation == "ChangeResourceRecordSets" {
		req.Zone, req.Changes = pathPart(r.URL.Path, "hostedzone"), countChanges(body)
	}
	ticket, err := m.Admit(req)
	var refusal *r53model.Refusal
	if errors.As(err, &refusal) {
		writeAWSError(w, r, protoRoute53, http.StatusBadRequest, refusal.Code, refusal.Message)
		return nil, refusal.Limit, true
	}
	if c.Operation == "GetChange" {
		if ch, ok := m.Change(pathPart(r.URL.Path, "change")); ok {
			writeChange(w, "GetChangeResponse", ch)
			return nil, "", true
		}
	}
	return ticket, "", false
}

// pathPart returns the path segment after the one named, e.g. the zone id of /2013-04-01/hostedzone/Z1/rrset.
func pathPart(path, after string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == after {
			return parts[i+1]
		}
	}
	return ""
}

// countChanges counts the Change elements of a ChangeResourceRecordSets request body.
func countChanges(body []byte) int {
	n := 0
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Change" {
			n++
		}
	}
}

// writeChange answers with a ChangeInfo, as Route 53's GetChange and ChangeResourceRecordSets do.
func writeChange(w http.ResponseWriter, element string, ch r53model.Change) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<%s xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo>%s</ChangeInfo></%s>`,
		element, changeInfo(ch), element)
}

func changeInfo(ch r53model.Change) string {
	return fmt.Sprintf(`<Id>/change/%s</Id><Status>%s</Status><SubmittedAt>%s</SubmittedAt>`,
		html.EscapeString(ch.ID), ch.Status, ch.SubmittedAt.UTC().Format(time.RFC3339Nano))
}

var motoChangeInfo = regexp.MustCompile(`(?s)<ChangeInfo>.*?</ChangeInfo>`)

// answerChange reports moto's answer to an admitted change batch on its ticket and, when moto accepted it, gives
// the answer the model's change: its own id (moto gives every change the same one) and status.
func answerChange(resp *http.Response, t *r53model.Ticket) error {
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		t.Rejected()
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Rejected()
		return err
	}
	info := changeInfo(t.Accepted())
	body = motoChangeInfo.ReplaceAllLiteral(body, []byte("<ChangeInfo>"+info+"</ChangeInfo>"))
	setBody(resp, body)
	return nil
}
