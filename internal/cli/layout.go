package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Text layout for terminals: tables aligned on what a terminal shows, prose wrapped to a width.

// printRecords writes records as a table: name, type, SetIdentifier, weight, value.
func printRecords(w io.Writer, rs []records.Record) {
	rows := [][]string{{"NAME", "TYPE", "SET-ID", "WEIGHT", "VALUE"}}
	if len(rs) == 0 {
		rows = append(rows, []string{"(no records)"})
	}
	for _, r := range rs {
		weight := "-"
		if r.Weight != nil {
			weight = strconv.FormatInt(*r.Weight, 10)
		}
		value := strings.Join(r.Values, " ")
		if r.Alias != nil {
			value = "alias " + r.Alias.DNSName
		}
		rows = append(rows, []string{r.Name, r.Type, or(r.SetIdentifier, "-"), weight, value})
	}
	writeTable(w, rows)
}

// writeTable writes rows as formatTable lays them out.
func writeTable(w io.Writer, rows [][]string) {
	for _, line := range formatTable(rows) {
		fmt.Fprintln(w, line)
	}
}

// formatTable lays rows out in columns two spaces apart, aligned on what a terminal shows (colour codes take no
// room), without trailing spaces.
func formatTable(rows [][]string) []string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], visible(cell))
		}
	}
	lines := make([]string, 0, len(rows))
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-visible(cell)+2))
			}
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return lines
}

// wrap breaks text into lines of at most width characters (counting what the terminal shows, not colour codes),
// the lines after the first indented; a command in backticks is never broken.
func wrap(text string, width int, indent string) string {
	if visible(text) <= width {
		return text
	}
	lead := text[:len(text)-len(strings.TrimLeft(text, " "))]
	words := unbroken(strings.Fields(text))
	var lines []string
	line := ""
	for _, w := range words {
		switch {
		case line == "":
			line = lead + w
		case visible(line)+1+visible(w) > width:
			lines = append(lines, line)
			line = indent + w
		default:
			line += " " + w
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// unbroken joins the words of each `command` into one.
func unbroken(words []string) []string {
	var out []string
	open := false
	for _, w := range words {
		if open {
			out[len(out)-1] += " " + w
		} else {
			out = append(out, w)
		}
		if n := strings.Count(w, "`"); n%2 == 1 {
			open = !open
		}
	}
	return out
}

// visible is how many characters a terminal shows of s (colour codes are not shown).
func visible(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case r == '\x1b':
			esc = true
		case esc && r == 'm':
			esc = false
		case !esc:
			n++
		}
	}
	return n
}
