//go:build unix && !linux

package gateway

import "syscall"

// procAttr puts a child in its own process group, so that stopping it stops what it started.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
