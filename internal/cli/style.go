package cli

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// style colours text, only when writing to a terminal and NO_COLOR is not set (https://no-color.org).
type style struct{ on bool }

func (s style) paint(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) bad(text string) string   { return s.paint("1;31", text) } // bold red: failures, problems
func (s style) good(text string) string  { return s.paint("32", text) }   // green: success, healthy
func (s style) warn(text string) string  { return s.paint("33", text) }   // yellow: warnings, waiting
func (s style) faint(text string) string { return s.paint("2", text) }    // dim: what matters less
func (s style) bold(text string) string  { return s.paint("1", text) }

// colour paints a color's name in that colour.
func (s style) colour(c records.Color) string {
	switch c {
	case records.Blue:
		return s.paint("34", string(c))
	case records.Green:
		return s.paint("32", string(c))
	}
	return string(c)
}

// barCells is how many cells a traffic bar has: one per 10 %.
const barCells = 10

// bar draws a share of the traffic, 0–100 %, as barCells cells.
func bar(percent int) string {
	full := (max(0, min(percent, 100))*barCells + 5) / 100
	return strings.Repeat("█", full) + strings.Repeat("░", barCells-full)
}

// weights draws the two colors' shares of the traffic: "blue ██████████ 100%  green ░░░░░░░░░░   0%".
func (s style) weights(w map[records.Color]int64) string {
	total := w[records.Blue] + w[records.Green]
	parts := make([]string, 0, 2)
	for _, c := range records.Colors {
		share := 0
		if total > 0 {
			share = int((w[c]*100 + total/2) / total)
		}
		parts = append(parts, fmt.Sprintf("%s %s %3d%%", s.colour(c)+strings.Repeat(" ", 5-len(c)), bar(share), share))
	}
	return strings.Join(parts, "  ")
}

// elapsed writes a duration as an operator reads it: "0.4s", "12.3s", "4m05s", "2h03m".
func elapsed(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// clip shortens text to at most n characters, ending in "…" when cut.
func clip(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return string(r[:max(n-1, 0)]) + "…"
}

// oneLine keeps a message to one line.
func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
