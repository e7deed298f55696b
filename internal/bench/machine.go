package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes this machine: CPU model and count, and memory, from /proc (the CPU count and architecture alone
// where /proc is missing).
func Machine() string {
	cpu, _ := os.ReadFile("/proc/cpuinfo")
	mem, _ := os.ReadFile("/proc/meminfo")
	return describeMachine(string(cpu), string(mem))
}

// describeMachine renders /proc/cpuinfo and /proc/meminfo as "2 × AMD EPYC, 24 GiB".
func describeMachine(cpuinfo, meminfo string) string {
	model, cores := "", 0
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "model name" {
			continue
		}
		cores++
		if model == "" {
			model = strings.Join(strings.Fields(v), " ")
		}
	}
	if cores == 0 {
		cores, model = runtime.NumCPU(), runtime.GOARCH
	}
	s := fmt.Sprintf("%d × %s", cores, model)
	for _, line := range strings.Split(meminfo, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				s += fmt.Sprintf(", %.0f GiB", kb/(1<<20))
			}
		}
	}
	return s
}
