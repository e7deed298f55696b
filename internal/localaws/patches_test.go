package localaws_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// loopMachine counts from 0 to $.n: two state transitions per step, each with paths.
const loopMachine = `{
  "StartAt": "Count",
  "States": {
    "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}, "Next": "More"},
    "More": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Count"}], "Default": "Done"},
    "Done": {"Type": "Succeed"}
  }
}`

// loopSteps is how many steps the speed checks run: ~100 transitions with JSONPaths.
const loopSteps = 50

// loopTransitionsPerSecond runs loopMachine for loopSteps steps, or until timeout,
// and returns its speed.
func loopTransitionsPerSecond(t *testing.T, c *sfn.Client, timeout time.Duration) float64 {
	t.Helper()
	machine := createStateMachine(t, c, "loop", loopMachine)
	start := time.Now()
	arn := startExecution(t, c, machine, "loop", fmt.Sprintf(`{"i": 0, "n": %d}`, loopSteps))
	out := waitExecution(t, c, arn, timeout)
	elapsed := time.Since(start)
	if out.Status == sfntypes.ExecutionStatusRunning {
		_, _ = c.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)})
	} else if out.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("loop: status %s (%s: %s)", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	transitions := len(enteredStates(t, c, arn))
	speed := float64(transitions) / elapsed.Seconds()
	t.Logf("%d transitions in %v: %.0f/s", transitions, elapsed.Round(time.Millisecond), speed)
	return speed
}

// The JSONPath cache: moto alone runs ~22 transitions a second; with it, thousands.
func TestJSONPathCacheSpeed(t *testing.T) {
	a := localawstest.Use(t, local)
	if got := loopTransitionsPerSecond(t, sfnClient(t, a), 20*time.Second); got < 200 {
		t.Errorf("the interpreter ran %.0f transitions/s, want at least 200", got)
	}
}

// stopWhileWaitingForToken starts waitForTokenMachine, stops the execution once it
// waits for its token, and returns its status after at most timeout, and its history.
func stopWhileWaitingForToken(t *testing.T, a *localaws.AWS, c *sfn.Client, timeout time.Duration) (sfntypes.ExecutionStatus, []sfntypes.HistoryEventType) {
	t.Helper()
	machine := createStateMachine(t, c, "approve", waitForTokenMachine)
	arn := startExecution(t, c, machine, "approve", `{}`)
	for a.Gateway.Count("lambda", "Invoke:greet") == 0 {
		if waitExecution(t, c, arn, 0).Status != sfntypes.ExecutionStatusRunning {
			t.Fatal("the execution ended before waiting for its token")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the task now waits for the token
	if _, err := c.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	status := waitExecution(t, c, arn, timeout).Status
	return status, historyTypes(t.Context(), t, c, arn)
}

// Each launcher fix exists because moto has the defect: with the fixes left out, the
// defects show. When one no longer shows, moto fixed it and the fix can go.
// This test also starts and stops a local AWS of its own.
func TestMotoDefectsWithoutPatches(t *testing.T) {
	opts := testOptions()
	opts.DisablePatches = []string{localaws.PatchStateMachineCopy, localaws.PatchJSONPathCache,
		localaws.PatchTemplateTargets, localaws.PatchStopTaskTokenWait, localaws.PatchStopAtOnce,
		localaws.PatchExactDelete, localaws.PatchAtomicBatches, localaws.PatchListOrder, localaws.PatchHealthCheckReference,
		localaws.PatchS3Events, localaws.PatchECREvents, localaws.PatchSFNEvents,
		localaws.PatchMetricNamespaces, localaws.PatchStandardResolution}
	a := localawstest.Start(t, opts)
	c := sfnClient(t, a)

	reset := func(t *testing.T) {
		t.Helper()
		if err := a.Reset(t.Context()); err != nil { // without the 10077 fix, one execution per region works
			t.Fatal(err)
		}
	}
	t.Run(localaws.PatchStateMachineCopy, func(t *testing.T) {
		reset(t)
		machine := createStateMachine(t, c, "twice", passMachine)
		startExecution(t, c, machine, "first", `{}`)
		_, err := c.StartExecution(t.Context(), &sfn.StartExecutionInput{
			StateMachineArn: aws.String(machine), Name: aws.String("second"), Input: aws.String(`{}`)},
			func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
		var respErr interface{ HTTPStatusCode() int }
		if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusInternalServerError {
			t.Errorf("second StartExecution without the fix: %v, want status 500", err)
		}
		// moto logs the exception behind its HTML error page after answering.
		const defect = "cannot pickle '_thread.RLock' object"
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			log, _ := os.ReadFile(a.MotoLog())
			if strings.Contains(string(log), defect) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("moto's log does not say %q", defect)
				break
			}
		}
	})
	t.Run(localaws.PatchJSONPathCache, func(t *testing.T) {
		reset(t)
		if got := loopTransitionsPerSecond(t, c, 1500*time.Millisecond); got >= 200 {
			t.Errorf("without the cache the interpreter ran %.0f transitions/s, want < 200", got)
		}
	})
	t.Run(localaws.PatchTemplateTargets, func(t *testing.T) {
		if got := stackTargets(t, a, "targets"); len(got) != 0 {
			t.Errorf("without the fix DescribeTargetHealth lists %v, want none", got)
		}
	})
	t.Run(localaws.PatchStopTaskTokenWait, func(t *testing.T) {
		reset(t)
		if status, _ := stopWhileWaitingForToken(t, a, c, time.Second); status != sfntypes.ExecutionStatusRunning {
			t.Errorf("without the fix, status 1s after StopExecution: %s, want RUNNING", status)
		}
	})
	t.Run(localaws.PatchStopAtOnce, func(t *testing.T) {
		reset(t)
		if status := stopWhileInvokeHeld(t, a, c); status != sfntypes.ExecutionStatusRunning {
			t.Errorf("without the fix, status after StopExecution while an invoke is held: %s, want RUNNING", status)
		}
	})
	t.Run(localaws.PatchExactDelete, func(t *testing.T) {
		reset(t)
		c := route53Client(t, a)
		zone := createZone(t, c)
		if !deleteOneOfTwoWithOneIdentifier(t, c, zone) {
			t.Error("without the fix, a DELETE with a SetIdentifier kept the other name's record with that identifier")
		}
		if err, kept := deleteWithOtherWeight(t, c, zone); err != nil || kept {
			t.Errorf("without the fix, DELETE with another weight: %v, record kept: %v; want accepted and deleted", err, kept)
		}
	})
	t.Run(localaws.PatchAtomicBatches, func(t *testing.T) {
		reset(t)
		c := route53Client(t, a)
		zone := createZone(t, c)
		err, got := batchWithBadChanges(t, c, zone)
		if err == nil || !slices.Contains(got, listed{"new.example.com.", "A", ""}) || slices.Contains(got, listed{"old.example.com.", "A", ""}) {
			t.Errorf("without the fix, the bad batch: %v, left %v; want an error with its first two changes applied", err, got)
		}
		if err, dups := createExisting(t, c, zone); err != nil || len(dups) != 2 {
			t.Errorf("without the fix, CREATE of an existing record: %v, listed %v; want accepted, two listed", err, dups)
		}
	})
	t.Run(localaws.PatchListOrder, func(t *testing.T) {
		reset(t)
		c := route53Client(t, a)
		zone := createZone(t, c)
		fillOrderZone(t, c, zone)
		got := listAll(t, c, zone, 300)
		at := func(name string) int { return slices.IndexFunc(got, func(l listed) bool { return l.Name == name }) }
		if at("demoapp.example.com.") < 0 || at("demoapp.example.com.") > at("demoapp-123456.example.com.") {
			t.Errorf("without the fix, demoapp sorts after demoapp-123456 (as on Route 53): %v", got)
		}
		if paged := listAll(t, c, zone, 1); len(paged) == len(routeOrder) {
			t.Errorf("without the fix, pages of one went through the weighted group once: %v", paged)
		}
	})

	t.Run(localaws.PatchHealthCheckReference, func(t *testing.T) {
		reset(t)
		c := route53Client(t, a)
		first, err := createCheck(t, c, "ref", 80)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := createCheck(t, c, "ref", 80); err != nil || again == first {
			t.Errorf("without the fix, the same CallerReference makes a second check: %q, %v (first %q)", again, err, first)
		}
	})

	// Without the event patches, moto's services send the local bus nothing, and no rule starts an execution.
	t.Run(localaws.PatchS3Events, func(t *testing.T) {
		reset(t)
		c := eventClients(t, a)
		machine := createStateMachine(t, c.sfn, "deploy", passMachine)
		c.eventBucket(t, "artifacts", true)
		c.rule(t, "upload", s3Pattern, machine, nil)
		c.put(t, "artifacts", "app/v1.zip", "release one")
		c.multipart(t, "artifacts", "app/big.zip")
		settle(t, a)
		if got := a.Gateway.Events().Records(); len(got) != 0 {
			t.Errorf("without the fix, the bus received %+v", got)
		}
		if got := c.executions(t, machine); len(got) != 0 {
			t.Errorf("without the fix, the uploads started %v", got)
		}
	})
	t.Run(localaws.PatchECREvents, func(t *testing.T) {
		reset(t)
		c := eventClients(t, a)
		c.repository(t, "demoapp", false)
		if _, err := c.push("demoapp", "1.0", strings.Repeat("1", 64)); err != nil {
			t.Fatal(err)
		}
		settle(t, a)
		if got := a.Gateway.Events().Records(); len(got) != 0 {
			t.Errorf("without the fix, the bus received %+v", got)
		}
	})
	t.Run(localaws.PatchSFNEvents, func(t *testing.T) {
		reset(t)
		machine := createStateMachine(t, c, "quick", passMachine)
		waitExecution(t, c, startExecution(t, c, machine, "quick", `{}`), 10*time.Second)
		settle(t, a)
		if got := a.Gateway.Events().Records(); len(got) != 0 {
			t.Errorf("without the fix, the bus received %+v", got)
		}
	})

	t.Run(localaws.PatchMetricNamespaces, func(t *testing.T) {
		reset(t)
		if got := namespaceMix(t, localCloudWatch(t, a)); got != 5001 {
			t.Errorf("without the fix, AWS/ApplicationELB RequestCount Sum = %v, want 5001 (another namespace's counted)", got)
		}
	})

	t.Run(localaws.PatchStandardResolution, func(t *testing.T) {
		reset(t)
		if got := standardAtSecond(t, localCloudWatch(t, a)); len(got) != 1 || got[0].Second() != 30 {
			t.Errorf("without the fix, a standard-resolution datum at second 30 read at %v, want at second 30 (moto keeps it)", got)
		}
	})

	// Stop ends moto and every aws-lambda-rie process, and may be called again.
	if b := invokeEcho(t, a, `{"value": "direct"}`); !strings.Contains(string(b), `"echo":"direct"`) {
		t.Fatalf("invoke echo: %s", b)
	}
	pid := a.PID()
	bootstrap := filepath.Join(bootstrapDir, "echo", "bootstrap")
	if len(processesRunning(bootstrap)) == 0 {
		t.Fatalf("no process runs %s after an invoke of echo", bootstrap)
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("moto (pid %d) still exists after Stop: kill 0 says %v", pid, err)
	}
	if left := processesRunning(bootstrap); len(left) > 0 {
		t.Errorf("processes left running %s after Stop: %v", bootstrap, left)
	}
	if err := a.Stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
}

// processesRunning lists the pids whose command line mentions s.
func processesRunning(s string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []string
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, filepath.Base(d))
		}
	}
	return pids
}
