package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The single-dash long flags of earlier versions are rewritten as pflag reads long flags; nothing else is.
func TestNormalizeArgs(t *testing.T) {
	root := (&command{env: Env{Getenv: func(string) string { return "" }}}).root()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "deploy, the old spellings", args: []string{"deploy", "demoapp", "v2", "-artifact", "s3://a/v2.zip", "-config", "@o.json", "-no-wait"},
			want: []string{"deploy", "demoapp", "v2", "--artifact", "s3://a/v2.zip", "--config", "@o.json", "--no-wait"}},
		{name: "a value after =", args: []string{"deploy", "demoapp", "v2", "-artifact=s3://a/v2.zip"}, want: []string{"deploy", "demoapp", "v2", "--artifact=s3://a/v2.zip"}},
		{name: "a global flag before the command", args: []string{"-stack", "Prod", "-state-machine", "arn:sm", "status", "demoapp"},
			want: []string{"--stack", "Prod", "--state-machine", "arn:sm", "status", "demoapp"}},
		{name: "approve -full -reason", args: []string{"approve", "demoapp", "-full", "-reason", "-no-wait"},
			want: []string{"approve", "demoapp", "--full", "--reason", "-no-wait"}}, // a value is never rewritten
		{name: "the new spellings stay", args: []string{"deploy", "demoapp", "v2", "--artifact", "-x", "--no-wait"}, want: []string{"deploy", "demoapp", "v2", "--artifact", "-x", "--no-wait"}},
		{name: "shorthands stay", args: []string{"history", "demoapp", "-n", "5", "-o", "json", "-ojson"}, want: []string{"history", "demoapp", "-n", "5", "-o", "json", "-ojson"}},
		{name: "status -w", args: []string{"status", "demoapp", "-w", "-interval", "1s"}, want: []string{"status", "demoapp", "-w", "--interval", "1s"}},
		{name: "an unknown flag is left to pflag to refuse", args: []string{"status", "demoapp", "-nope"}, want: []string{"status", "demoapp", "-nope"}},
		{name: "after --", args: []string{"validate", "--", "-full"}, want: []string{"validate", "--", "-full"}},
		{name: "repair -live", args: []string{"repair", "demoapp", "-live", "green"}, want: []string{"repair", "demoapp", "--live", "green"}},
		{name: "validate -app-config", args: []string{"validate", "f.json", "-app-config", "c.json"}, want: []string{"validate", "f.json", "--app-config", "c.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(normalizeArgs(root, tt.args), tt.want); diff != "" {
				t.Errorf("normalizeArgs(%q) (-got +want):\n%s", tt.args, diff)
			}
		})
	}
}

func TestWrapAndTable(t *testing.T) {
	st := style{on: true}
	got := wrap(st.bad("PROBLEM:")+" the idle color green has weight 10 while no deployment runs, and the rest of a long line", 40, "  ")
	want := "\x1b[1;31mPROBLEM:\x1b[0m the idle color green has weight\n  10 while no deployment runs, and the\n  rest of a long line"
	if got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
	lines := formatTable([][]string{{"COLOR", "TRAFFIC"}, {st.colour("blue"), bar(90) + " 90%"}, {st.colour("green"), bar(10)}})
	if visible(lines[1]) != visible(lines[0])+len(" 90%")+3 || visible(lines[2]) != len("green  ")+barCells {
		t.Errorf("columns do not align on what a terminal shows:\n%s", lines)
	}
}
