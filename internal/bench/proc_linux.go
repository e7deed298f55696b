package bench

import (
	"os/exec"
	"syscall"
)

// ownGroup puts a child in its own process group, so that signalling the group reaches what it started (RIE's
// runtime), and has the kernel send it SIGTERM should the bench die.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// signalGroup sends sig to the process group ownGroup made.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
