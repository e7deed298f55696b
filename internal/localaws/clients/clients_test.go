package clients

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const header = "X-Version"

// twoServers serves version a on one loopback address and b on another, at the same port.
func twoServers(t *testing.T) (addrA, addrB netip.Addr, port uint16) {
	t.Helper()
	addrA, addrB = netip.MustParseAddr("127.78.0.1"), netip.MustParseAddr("127.78.0.2")
	for tries := 0; ; tries++ {
		lnA, err := net.Listen("tcp", netip.AddrPortFrom(addrA, 0).String())
		if err != nil {
			t.Fatal(err)
		}
		port = lnA.Addr().(*net.TCPAddr).AddrPort().Port()
		lnB, err := net.Listen("tcp", netip.AddrPortFrom(addrB, port).String())
		if err != nil {
			lnA.Close()
			if tries < 5 {
				continue
			}
			t.Fatal(err)
		}
		for ln, v := range map[net.Listener]string{lnA: "a", lnB: "b"} {
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Host != "app.example.com" {
					http.Error(w, "wrong host "+r.Host, http.StatusBadRequest)
					return
				}
				w.Header().Set(header, v)
			})}
			go srv.Serve(ln) //nolint:errcheck // ends with Close
			t.Cleanup(func() { srv.Close() })
		}
		return addrA, addrB, port
	}
}

// switching answers from first until Switch, then to; it counts the questions.
type switching struct {
	mu       sync.Mutex
	answer   netip.Addr
	ttl      time.Duration
	switched time.Time
	asked    atomic.Int64
}

func (s *switching) resolve(_ context.Context, name string) ([]netip.Addr, time.Duration, error) {
	s.asked.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return []netip.Addr{s.answer}, s.ttl, nil
}

func (s *switching) to(a netip.Addr) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer, s.switched = a, time.Now()
	return s.switched
}

func TestClientsFollowDNSWithinTheTTL(t *testing.T) {
	a, b, port := twoServers(t)
	const ttl = 300 * time.Millisecond
	r := &switching{answer: a, ttl: ttl}
	l, err := Start(context.Background(), Config{Host: "app.example.com", Port: port, Clients: 10, Every: 20 * time.Millisecond,
		Resolve: r.resolve, VersionHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	time.Sleep(500 * time.Millisecond)
	at := r.to(b)
	time.Sleep(ttl + 400*time.Millisecond)
	l.Stop()

	before := l.Between(time.Time{}, at)
	if before.Requests < 100 || before.Versions["a"] != before.Requests {
		t.Errorf("before the switch: %v, want every one of at least 100 requests answered by a", before)
	}
	cached := l.Between(at, at.Add(ttl/2))
	if cached.Versions["a"] == 0 {
		t.Errorf("in the first half TTL after the switch: %v, want clients still on their cached answer a", cached)
	}
	after := l.Between(at.Add(ttl+50*time.Millisecond), time.Now())
	if after.Requests < 50 || after.Versions["b"] != after.Requests {
		t.Errorf("a TTL after the switch: %v, want every request answered by b", after)
	}
	// Each client asks once per TTL: about (1.2 s / 300 ms + 1) × 10 questions, never once per request.
	if n := r.asked.Load(); n > 80 || n < 30 {
		t.Errorf("the clients asked DNS %d times, want about once per client per TTL (30-80)", n)
	}
}

func TestPinnedClientsStayOnTheirAnswer(t *testing.T) {
	a, b, port := twoServers(t)
	r := &switching{answer: a, ttl: 100 * time.Millisecond}
	l, err := Start(context.Background(), Config{Host: "app.example.com", Port: port, Clients: 5, Every: 20 * time.Millisecond,
		Resolve: r.resolve, VersionHeader: header, MinCache: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	at := r.to(b)
	time.Sleep(500 * time.Millisecond)
	l.Stop()
	after := l.Between(at, time.Now())
	if after.Requests < 50 || after.Versions["a"] != after.Requests {
		t.Errorf("after the switch: %v, want clients pinned to a", after)
	}
	if n := r.asked.Load(); n != 5 {
		t.Errorf("pinned clients asked DNS %d times, want once each (5)", n)
	}
}

func TestUnansweredRequestsAreCounted(t *testing.T) {
	_, _, port := twoServers(t)
	nowhere := func(context.Context, string) ([]netip.Addr, time.Duration, error) {
		return []netip.Addr{netip.MustParseAddr("127.78.0.9")}, time.Second, nil // nothing listens there
	}
	l, err := Start(context.Background(), Config{Host: "app.example.com", Port: port, Clients: 2, Every: 20 * time.Millisecond,
		Resolve: nowhere, VersionHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	l.Stop()
	got := l.Between(time.Time{}, time.Now())
	if got.Requests == 0 || got.Unanswered != got.Requests || got.Share("a") != 0 {
		t.Errorf("requests to an address nobody serves: %v, want all unanswered", got)
	}
	if rs := l.Responses(); rs[0].Err == "" {
		t.Errorf("an unanswered request says no why: %+v", rs[0])
	}
}
