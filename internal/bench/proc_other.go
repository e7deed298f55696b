//go:build !linux

package bench

import (
	"os/exec"
	"syscall"
)

// ownGroup leaves the child in the bench's process group (process groups are set up on Linux only).
func ownGroup(*exec.Cmd) {}

// signalGroup sends sig to the child.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	_ = cmd.Process.Signal(sig)
}
