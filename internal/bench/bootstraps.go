package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// coldStarts is how many fresh RIE processes each bootstrap's cold start is measured with (their median is kept).
const coldStarts = 3

// measureBootstraps returns, for each function, the size of its AWS bootstrap (awsDir/<name>/bootstrap) and the
// cold start of its host bootstrap (hostDir/<name>/bootstrap) under the aws-lambda-rie at rie, run with env.
func measureBootstraps(ctx context.Context, names []string, awsDir, hostDir, rie string, env []string, progress func(string, ...any)) ([]Bootstrap, error) {
	var out []Bootstrap
	for _, name := range names {
		st, err := os.Stat(filepath.Join(awsDir, name, "bootstrap"))
		if err != nil {
			return nil, fmt.Errorf("the AWS bootstrap of %s (make build-aws): %w", name, err)
		}
		host := filepath.Join(hostDir, name, "bootstrap")
		var colds, warms []float64
		for range coldStarts {
			cold, warm, err := coldStart(ctx, rie, host, append(env, "AWS_LAMBDA_FUNCTION_NAME="+name))
			if err != nil {
				return nil, fmt.Errorf("cold start of %s: %w", name, err)
			}
			colds, warms = append(colds, millis(cold)), append(warms, millis(warm))
		}
		b := Bootstrap{Name: name, Bytes: st.Size(), InitMillis: round(median(colds), 1), WarmMillis: round(median(warms), 1)}
		progress("bootstrap %s: %d bytes, cold start %.1f ms, warm invoke %.1f ms", name, b.Bytes, b.InitMillis, b.WarmMillis)
		out = append(out, b)
	}
	return out, nil
}

// coldStart starts aws-lambda-rie with a bootstrap, waits until RIE listens (it starts the bootstrap only on the
// first invoke), then times the first invoke's round trip — the bootstrap's process start, its init until it asks
// the runtime API for work, and the invoke — and a second one's.
func coldStart(ctx context.Context, rie, bootstrap string, env []string) (cold, warm time.Duration, err error) {
	bootstrap, err = filepath.Abs(bootstrap) // RIE runs it from its own folder
	if err != nil {
		return 0, 0, err
	}
	if _, err := os.Stat(bootstrap); err != nil {
		return 0, 0, fmt.Errorf("host bootstrap (make build-host): %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return 0, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), bootstrap)
	cmd.Dir, cmd.Env = filepath.Dir(bootstrap), env
	log := &lockedBuffer{} // RIE's and the bootstrap's output, for an error
	cmd.Stdout, cmd.Stderr = log, log
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("start %s: %w", rie, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer func() { // SIGTERM, as RIE wants (it crashes its runtime on SIGKILL), then SIGKILL
		signalGroup(cmd, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			signalGroup(cmd, syscall.SIGKILL)
			<-done
		}
	}()
	if err := waitListening(ctx, addr, done); err != nil {
		return 0, 0, fmt.Errorf("aws-lambda-rie: %w", err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	invoke := func() (time.Duration, error) {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/2015-03-31/functions/function/invocations", strings.NewReader(`{}`))
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("invoke %s: %w\n%s", bootstrap, err, log.String())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("errorType")) {
			// The invoke names no operation: the handler must answer with its ValidationError.
			return 0, fmt.Errorf("invoke %s: %s %s, want the handler's error document", bootstrap, resp.Status, body)
		}
		return time.Since(start), nil
	}
	if cold, err = invoke(); err != nil {
		return 0, 0, err
	}
	if warm, err = invoke(); err != nil {
		return 0, 0, err
	}
	return cold, warm, nil
}

// waitListening waits until addr accepts connections, for up to 10 s, or until exited is closed.
func waitListening(ctx context.Context, addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after 10 s", addr)
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before listening on %s", addr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// median returns the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// lockedBuffer is a process's output, safe to read while the process writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
