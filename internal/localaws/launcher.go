package localaws

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// launcherFiles are the launcher (launcher.py) and the modules of its Route 53 fixes and of the services' events.
//
//go:embed launcher.py launcher_route53.py launcher_events.py launcher_cloudwatch.py
var launcherFiles embed.FS

// The launcher's fixes of moto defects, by name, for Options.DisablePatches.
const (
	// PatchStateMachineCopy works around moto issue 10077 (a second StartExecution fails).
	PatchStateMachineCopy = "skip_executions_in_state_machine_copy"
	// PatchJSONPathCache caches JSONPath parsing in the Step Functions interpreter.
	PatchJSONPathCache = "cache_jsonpath_parsing"
	// PatchTemplateTargets registers a CloudFormation TargetGroup's Targets.
	PatchTemplateTargets = "register_template_targets"
	// PatchStopTaskTokenWait makes StopExecution end a task waiting for a task token.
	PatchStopTaskTokenWait = "stop_interrupts_task_token_wait"
	// PatchStopAtOnce makes StopExecution end an execution at once, while a task's call is still under way.
	PatchStopAtOnce = "stop_ends_execution_at_once"
	// PatchExactDelete makes a Route 53 DELETE remove exactly the record set it names, and only when every field
	// matches what is stored (moto matches by name and type, and deletes every record set with a SetIdentifier).
	PatchExactDelete = "delete_matches_exactly"
	// PatchAtomicBatches judges a Route 53 change batch as a whole and applies all of it or none (moto applies the
	// changes before the first bad one), rejecting a CREATE of an existing record set; it stores names as Route 53
	// does (lower-case, with escape codes).
	PatchAtomicBatches = "atomic_change_batches"
	// PatchListOrder makes ListResourceRecordSets list in Route 53's order (names with the labels reversed and the
	// trailing dot) and page by StartRecordIdentifier/NextRecordIdentifier too.
	PatchListOrder = "route53_list_order"
	// PatchHealthCheckReference makes CreateHealthCheck honour its CallerReference as Route 53 does: the same
	// reference and settings return the existing check; another check's reference with other settings, or a
	// deleted check's, is HealthCheckAlreadyExists (moto creates a check for every call).
	PatchHealthCheckReference = "health_check_caller_reference"
	// PatchS3Events makes S3 send one "Object Created" event, in the documented shape, per PutObject, POST Object,
	// CopyObject or CompleteMultipartUpload into a bucket with EventBridge notifications, to the local event bus.
	PatchS3Events = "s3_object_created_events"
	// PatchECREvents makes ECR's PutImage send "ECR Image Action" (SUCCESS or FAILURE) to the local event bus.
	PatchECREvents = "ecr_image_action_events"
	// PatchSFNEvents makes every standard execution send "Step Functions Execution Status Change" when it starts
	// and when it ends, to the local event bus.
	PatchSFNEvents = "sfn_execution_status_events"
	// PatchMetricNamespaces makes GetMetricData read each MetricStat query's own namespace (moto ignores the
	// namespace of a metric with dimensions).
	PatchMetricNamespaces = "get_metric_data_keeps_namespaces"
	// PatchStandardResolution stores standard-resolution metric data (StorageResolution 60, the default) at the
	// start of its minute, as CloudWatch's one-minute granularity does (moto keeps every datum's seconds).
	PatchStandardResolution = "standard_resolution_to_the_minute"
)

// stepFunctionsConfig switches moto's Step Functions interpreter on.
const stepFunctionsConfig = `{"stepfunctions": {"execute_state_machine": true}}`

// launcher is the running moto server.
type launcher struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // its end closing tells the launcher to exit
	done  chan struct{}
	url   string
}

// startLauncher starts moto on a free port of 127.0.0.1, handing it the listening
// socket so that no other process can take the port first. Its Step Functions
// interpreter calls AWS at localhost:gatewayPort.
func startLauncher(py Python, dir string, gatewayPort int, log *os.File, disabledPatches []string) (*launcher, error) {
	for _, name := range []string{"launcher.py", "launcher_route53.py", "launcher_events.py", "launcher_cloudwatch.py"} {
		b, err := launcherFiles.ReadFile(name)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		if err != nil {
			return nil, fmt.Errorf("write moto launcher: %w", err)
		}
	}
	script := filepath.Join(dir, "launcher.py")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for moto: %w", err)
	}
	defer ln.Close()
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, fmt.Errorf("listen for moto: %w", err)
	}
	defer sock.Close()

	l := &launcher{done: make(chan struct{}), url: "http://" + ln.Addr().String()}
	l.cmd = exec.Command(py.Path, script, "--fd", "3", "--watch-stdin")
	l.cmd.ExtraFiles = []*os.File{sock}
	l.cmd.Env = append(withoutVars(os.Environ(), "MOTO_PORT", "LOCALAWS_DISABLE_PATCHES"),
		"MOTO_PORT="+strconv.Itoa(gatewayPort),
		"LOCALAWS_DISABLE_PATCHES="+strings.Join(disabledPatches, ","),
		"PYTHONUNBUFFERED=1")
	l.cmd.Stdout, l.cmd.Stderr = log, log
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if l.stdin, err = l.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto launcher with %s: %w", py.Path, err)
	}
	go func() { _ = l.cmd.Wait(); close(l.done) }()
	return l, nil
}

// waitReady waits until moto answers, applying the interpreter's configuration.
func (l *launcher) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := l.configure(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-l.done:
			return fmt.Errorf("moto exited while starting (%v)", l.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("moto did not answer within %v: %w", timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// configure switches the Step Functions interpreter on (again: a reset may drop it).
func (l *launcher) configure(ctx context.Context) error {
	return l.post(ctx, "/moto-api/config", stepFunctionsConfig)
}

// reset clears all of moto's state.
func (l *launcher) reset(ctx context.Context) error {
	if err := l.post(ctx, "/moto-api/reset", ""); err != nil {
		return err
	}
	return l.configure(ctx)
}

func (l *launcher) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto %s: %w", path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("moto %s: status %d: %s", path, resp.StatusCode, msg)
	}
	return nil
}

// stop ends the launcher's process group with SIGTERM, then SIGKILL after 5 s, and waits.
func (l *launcher) stop() error {
	_ = l.stdin.Close()
	pgid := l.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-l.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-l.done
	return errors.New("moto did not exit on SIGTERM within 5s: killed")
}

// withoutVars returns env without the named variables.
func withoutVars(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		found := false
		for _, n := range names {
			found = found || n == name
		}
		if !found {
			out = append(out, kv)
		}
	}
	return out
}
