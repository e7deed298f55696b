package records

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// The fence is one TXT record per app, stack.fence.<app>.<zone>, naming the execution that writes the app's records
// and an epoch. Every batch the deployer sends deletes the fence exactly as the writer expects it and creates its
// next value, in the same batch as its real changes. Route 53 applies a batch atomically and rejects it whole when a
// DELETE does not match what is stored, so a writer whose view is stale — a Lambda call that outlived its stopped
// execution, after a reconcile took the app over and rewrote the fence — writes nothing, even with a CREATE-only
// batch. A run's first batch takes the fence over (from the run before it, or from nothing: apps whose records an
// earlier version wrote have none), with the next epoch.

// Fence is a fence record's value.
type Fence struct {
	// Holder identifies the execution that wrote it (FenceHolder of its ARN); Epoch counts the takeovers.
	Holder string
	Epoch  int
}

// FenceHolder is how the fence names an execution: a digest of its ARN, not the ARN itself, since a public hosted
// zone answers TXT queries to anyone and an ARN carries the account id and the state machine's name.
func FenceHolder(execution string) string {
	sum := sha256.Sum256([]byte(execution))
	return hex.EncodeToString(sum[:16])
}

// FenceRecord is the app's fence record with value f.
func (a App) FenceRecord(f Fence) Record {
	return Record{Name: a.FenceName(), Type: TypeTXT, TTL: TXTTTL, Values: []string{Quote(fmt.Sprintf("%d %s", f.Epoch, f.Holder))}}
}

// ParseFence reads a fence record's value.
func ParseFence(r Record) (Fence, error) {
	if r.Type != TypeTXT || len(r.Values) != 1 {
		return Fence{}, fmt.Errorf("fence %s: want one TXT value, have %s %v", r.Name, r.Type, r.Values)
	}
	v, ok := Unquote(r.Values[0])
	epoch, holder, cut := strings.Cut(v, " ")
	n, err := strconv.Atoi(epoch)
	if !ok || !cut || err != nil || n < 0 || holder == "" {
		return Fence{}, fmt.Errorf("fence %s: value %s is not \"<epoch> <holder>\"", r.Name, r.Values[0])
	}
	return Fence{Holder: holder, Epoch: n}, nil
}

// NextFence is the fence a writer (holder: its FenceHolder) leaves: its own, in the epoch of the fence it found when
// that was its own, else in the next one (a takeover). An unreadable fence counts as epoch 0.
func NextFence(found *Record, holder string) Fence {
	if found == nil {
		return Fence{Holder: holder, Epoch: 1}
	}
	f, err := ParseFence(*found)
	switch {
	case err != nil:
		return Fence{Holder: holder, Epoch: 1}
	case f.Holder == holder:
		return f
	}
	return Fence{Holder: holder, Epoch: f.Epoch + 1}
}
