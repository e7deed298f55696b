package gateway

import "syscall"

// procAttr puts a child in its own process group, so that stopping it stops what it
// started, and has the kernel send it SIGTERM should the gateway's process die.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
