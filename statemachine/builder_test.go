package statemachine

import (
	"strings"
	"testing"
)

func TestBuilderRefusesAnInconsistentMachine(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *builder)
		want  string
	}{
		{"a state twice", func(b *builder) {
			p := b.phase("a", "A", carryOn)
			p.succeed("Done")
			p.succeed("Done")
		}, "state Done is added twice"},
		{"a phase twice", func(b *builder) {
			b.phase("a", "A", carryOn).succeed("Done")
			b.phase("a", "A again", carryOn)
		}, "phase a is started twice"},
		{"a target that is no state", func(b *builder) {
			p := b.phase("a", "A", goTo("Nowhere", "$.error"))
			p.lambda("Work", "", call{CreateStackFunction, "create"}, "Done")
			p.succeed("Done")
		}, "state Work goes to Nowhere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder("test")
			tt.build(b)
			_, err := b.machine()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("machine() = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// A task takes its phase's routes, after its own, less those naming only errors its kind cannot raise; a
// notification always carries on.
func TestTasksTakeTheirPhasesPolicy(t *testing.T) {
	b := newBuilder("test")
	p := b.phase("a", "A", goTo("Failed", "$.error").except(route{errors: []string{"ValidationError"}, next: "Invalid", resultPath: "$.error"}))
	lambda := p.lambda("Work", "", call{CreateStackFunction, "create"}, "Write",
		route{errors: []string{"LockHeldError"}, next: "Locked", resultPath: discard})
	write := p.record("Write", "", "created", "Tell")
	tell := p.notify("Tell", "subject", "$.notice", "Done")
	for _, s := range []string{"Done", "Failed", "Invalid", "Locked"} {
		p.succeed(s)
	}
	if _, err := b.machine(); err != nil {
		t.Fatal(err)
	}
	nexts := func(s *aslState) (out []string) {
		for _, c := range s.Catch {
			out = append(out, strings.Join(c.ErrorEquals, ",")+"→"+c.Next)
		}
		return out
	}
	for _, tt := range []struct {
		state *aslState
		want  string
	}{
		{lambda, "LockHeldError→Locked ValidationError→Invalid States.ALL→Failed"},
		{write, "States.ALL→Failed"},
		{tell, "States.ALL→Done"},
	} {
		if got := strings.Join(nexts(tt.state), " "); got != tt.want {
			t.Errorf("catchers %s, want %s", got, tt.want)
		}
	}
	if tell.Catch[0].ResultPath == nil || len(tell.Retry) != 0 || len(write.Retry) == 0 || len(lambda.Retry) == 0 {
		t.Errorf("retry and result paths by kind: lambda %v, write %v, notify %v %v", lambda.Retry, write.Retry, tell.Retry, tell.Catch)
	}
}
