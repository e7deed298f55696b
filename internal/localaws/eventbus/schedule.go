package eventbus

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var rateRE = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// ParseRate reads a rate expression, rate(value unit), as a scheduled rule takes it ("Creating an Amazon
// EventBridge rule that runs on a schedule", Rate expressions): a positive whole value; the unit minute, hour or
// day, singular for a value of 1 and plural otherwise. Cron expressions are not modelled: the local bus refuses them.
func ParseRate(expr string) (time.Duration, error) {
	m := rateRE.FindStringSubmatch(expr)
	if m == nil {
		return 0, fmt.Errorf("schedule %q: the local EventBridge runs rate(value unit) expressions only", expr)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("schedule %q: the value must be a positive whole number", expr)
	}
	unit := m[2]
	if plural := unit[len(unit)-1] == 's'; plural != (n > 1) {
		return 0, fmt.Errorf("schedule %q: the unit is singular for 1 and plural otherwise", expr)
	}
	per := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[unit[0]]
	return time.Duration(n) * per, nil
}
