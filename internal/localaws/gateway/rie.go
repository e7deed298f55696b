package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// RIEModule is the aws-lambda-rie version the local AWS is tested with.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// FindRIE returns the path of aws-lambda-rie: on PATH, else in $(go env GOPATH)/bin.
func FindRIE() (string, error) {
	const name = "aws-lambda-rie"
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH nor in %s; install it with: go install %s",
		name, strings.Join(dirs, ", "), RIEModule)
}

// rieFunction starts the instances of a function run under aws-lambda-rie: one RIE process (on free ports of its
// own) per instance, since RIE runs one invocation at a time (and crashes on concurrent ones). Its instances log to
// one file.
type rieFunction struct {
	rie       string
	bootstrap string
	env       []string
	log       *os.File
	client    *http.Client
}

func newRIEFunction(name, rie, bootstrap, logDir string, env []string, timeout time.Duration) (*rieFunction, error) {
	log, err := os.OpenFile(filepath.Join(logDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("function %s: open log: %w", name, err)
	}
	env = append(append([]string(nil), env...),
		"AWS_LAMBDA_FUNCTION_NAME="+name,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(math.Ceil(timeout.Seconds()))),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
	)
	return &rieFunction{rie: rie, bootstrap: bootstrap, env: env, log: log,
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}, nil
}

// start starts an instance: an RIE process, which starts the bootstrap at its first invocation (the cold start).
func (f *rieFunction) start(ctx context.Context) (instance, error) {
	p, err := startRIE(ctx, f.rie, f.bootstrap, f.env, f.log)
	if err != nil {
		return nil, err
	}
	return &rieInstance{proc: p, client: f.client}, nil
}

// rieInstance is an instance of a function under aws-lambda-rie: one RIE process.
type rieInstance struct {
	proc   *rieProcess
	client *http.Client
}

// invoke runs one invocation. An instance whose runtime failed, timed out or died is not reused.
func (in *rieInstance) invoke(ctx context.Context, inv invocation) (result, bool, error) {
	if in.proc.exited() {
		return result{}, false, fmt.Errorf("aws-lambda-rie exited: %v", in.proc.cmd.ProcessState)
	}
	url := "http://" + in.proc.addr + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(inv.payload))
	if err != nil {
		return result{}, false, err
	}
	req.Header.Set("X-Amzn-RequestId", inv.requestID)
	if inv.clientContext != "" {
		req.Header.Set("X-Amz-Client-Context", inv.clientContext)
	}
	resp, err := in.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return timedOut(), false, nil
		}
		return result{}, false, fmt.Errorf("aws-lambda-rie: %w", err)
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, false, fmt.Errorf("aws-lambda-rie: read answer: %w", err)
	}
	switch {
	case resp.StatusCode != http.StatusOK: // the runtime failed to start or died: the next invocation starts afresh
		if isErrorDocument(payload) {
			return result{payload: payload, failed: true}, false, nil
		}
		return result{}, false, fmt.Errorf("aws-lambda-rie: status %d: %s", resp.StatusCode, payload)
	case bytes.HasPrefix(payload, []byte("Task timed out")):
		return errorResult("Sandbox.Timedout", string(payload)), false, nil
	}
	return result{payload: payload, failed: isErrorDocument(payload)}, !in.proc.exited(), nil
}

// alive reports whether the RIE process still runs.
func (in *rieInstance) alive() bool { return !in.proc.exited() }

// close stops the RIE process, failing the invocation in progress if any.
func (in *rieInstance) close() error {
	in.proc.stop()
	return nil
}

// rieProcess is one running aws-lambda-rie.
type rieProcess struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startRIE starts aws-lambda-rie on free ports (the invoke address and the runtime
// API's, which must not collide with another RIE's) and waits until it accepts calls.
func startRIE(ctx context.Context, rie, bootstrap string, env []string, log io.Writer) (*rieProcess, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before RIE binds it
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		p := &rieProcess{addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), done: make(chan struct{})}
		p.cmd = exec.Command(rie,
			"--runtime-interface-emulator-address", p.addr,
			"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
			bootstrap)
		p.cmd.Dir = filepath.Dir(bootstrap)
		p.cmd.Env = env
		p.cmd.Stdout, p.cmd.Stderr = log, log
		p.cmd.SysProcAttr = procAttr()
		if err := p.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start aws-lambda-rie for %s: %w", bootstrap, err)
		}
		go func() { _ = p.cmd.Wait(); close(p.done) }()
		if lastErr = p.waitReady(ctx); lastErr == nil {
			return p, nil
		}
		p.stop()
	}
	return nil, fmt.Errorf("start aws-lambda-rie for %s: %w", bootstrap, lastErr)
}

func (p *rieProcess) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before listening on %s: %v", p.addr, p.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after 10s", p.addr)
		}
	}
}

func (p *rieProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends RIE and the runtime it started with SIGTERM, then SIGKILL after 5 s.
func (p *rieProcess) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
