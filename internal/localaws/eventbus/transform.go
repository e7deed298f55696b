package eventbus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Transformer is a target's input transformer, as PutTargets takes it.
type Transformer struct {
	// InputPathsMap names values of the event by input path (see path).
	InputPathsMap map[string]string
	// InputTemplate is the target's input, with <name> placeholders.
	InputTemplate string
}

// The predefined variables of an input template ("Amazon EventBridge input transformation", Predefined
// variables): reserved, and never defined by an input path.
const (
	VarRuleARN       = "aws.events.rule-arn"
	VarRuleName      = "aws.events.rule-name"
	VarIngestionTime = "aws.events.event.ingestion-time"
	VarEvent         = "aws.events.event"
	VarEventJSON     = "aws.events.event.json"
)

// Limits of an input transformer (PutTargets, InputTransformer).
const (
	maxInputPaths    = 100
	maxTemplateBytes = 8192
)

var (
	pathNameRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	placeholderRE = regexp.MustCompile(`<([A-Za-z0-9_.-]+)>`)
)

// Check refuses a transformer PutTargets refuses: more than 100 input paths, a name outside [A-Za-z0-9_-] (the
// predefined variables' names, with their dots, cannot be defined), a path EventBridge cannot evaluate, an empty or
// oversized template.
func (t Transformer) Check() error {
	if len(t.InputPathsMap) > maxInputPaths {
		return fmt.Errorf("InputPathsMap has %d entries, more than %d", len(t.InputPathsMap), maxInputPaths)
	}
	for name, p := range t.InputPathsMap {
		if !pathNameRE.MatchString(name) {
			return fmt.Errorf("InputPathsMap key %q must be 1-256 characters of A-Z a-z 0-9 _ -", name)
		}
		if _, err := parsePath(p); err != nil {
			return err
		}
	}
	if t.InputTemplate == "" || len(t.InputTemplate) > maxTemplateBytes {
		return fmt.Errorf("InputTemplate must be 1-%d characters", maxTemplateBytes)
	}
	return nil
}

// Context is what the predefined variables name: the rule and when EventBridge received the event.
type Context struct {
	RuleARN, RuleName string
	Ingested          time.Time
}

// Render renders the template for an event (JSON) as EventBridge does ("Amazon EventBridge input transformation",
// the examples and "Common issues with transforming input"):
//
//   - A placeholder outside a JSON string is a JSON value: a string is put inside quotes, anything else (an object,
//     an array, a number, true, false, null) as its JSON.
//   - Inside a JSON string, a string value goes in as its characters, a number or literal as its JSON text, and an
//     object or array as its JSON with every quote removed (so the string stays a string).
//   - No value taken by an input path is escaped: a string holding a quote ends the string it was put in (or into).
//   - aws.events.event.json (the whole event) and aws.events.event (the event without its detail) may only be a
//     JSON field's value: inside a string, Render refuses.
//   - A variable whose path is not in the event is not created: its placeholder renders as nothing.
//   - Text in angle brackets that names no variable stays as it is.
//
// The result is the target's input: it is not checked to be JSON (the target refuses input it cannot take).
func (t Transformer) Render(event []byte, c Context) (string, error) {
	if err := t.Check(); err != nil {
		return "", err
	}
	decoded, err := decodeJSON(event)
	if err != nil {
		return "", fmt.Errorf("the event is not JSON: %w", err)
	}
	obj, ok := decoded.(map[string]any)
	if !ok {
		return "", fmt.Errorf("the event is not a JSON object")
	}
	vars := map[string]any{}
	for name, p := range t.InputPathsMap {
		pp, _ := parsePath(p) // checked
		if v, ok := pp.eval(obj); ok {
			vars[name] = v
		}
	}
	var whole bytes.Buffer
	if err := json.Compact(&whole, event); err != nil {
		return "", err
	}
	withoutDetail := map[string]any{}
	for k, v := range obj {
		if k != "detail" {
			withoutDetail[k] = v
		}
	}
	predefined := map[string]any{
		VarRuleARN: c.RuleARN, VarRuleName: c.RuleName,
		VarIngestionTime: c.Ingested.UTC().Format("2006-01-02T15:04:05Z"),
		VarEvent:         withoutDetail,
		VarEventJSON:     json.RawMessage(whole.Bytes()),
	}
	var out strings.Builder
	tmpl := t.InputTemplate
	inString, escaped := false, false
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		if ch == '<' {
			if m := placeholderRE.FindStringSubmatchIndex(tmpl[i:]); m != nil && m[0] == 0 {
				name := tmpl[i+m[2] : i+m[3]]
				v, isVar := vars[name]
				_, defined := t.InputPathsMap[name]
				pre, isPre := predefined[name]
				switch {
				case isPre:
					if inString && (name == VarEvent || name == VarEventJSON) {
						return "", fmt.Errorf("<%s> is inside a string: it may only be the value of a JSON field", name)
					}
					out.WriteString(renderValue(pre, inString))
				case isVar:
					out.WriteString(renderValue(v, inString))
				case defined:
					// Its path is not in the event: the variable is not created and renders as nothing.
				default:
					out.WriteString(tmpl[i : i+m[1]])
				}
				i += m[1] - 1
				escaped = false
				continue
			}
		}
		out.WriteByte(ch)
		switch {
		case escaped:
			escaped = false
		case inString && ch == '\\':
			escaped = true
		case ch == '"':
			inString = !inString
		}
	}
	return out.String(), nil
}

// renderValue renders a variable's value in a template, inside a JSON string or as a JSON value, unescaped.
func renderValue(v any, inString bool) string {
	if s, ok := v.(string); ok {
		if inString {
			return s
		}
		return `"` + s + `"`
	}
	text := encode(v)
	if _, composite := v.(map[string]any); composite || isArray(v) || isRaw(v) {
		if inString {
			return strings.ReplaceAll(text, `"`, "")
		}
	}
	return text
}

func isArray(v any) bool { _, ok := v.([]any); return ok }
func isRaw(v any) bool   { _, ok := v.(json.RawMessage); return ok }

// encode writes a value as compact JSON, without HTML escaping (EventBridge writes the event's text as it is).
func encode(v any) string {
	if r, ok := v.(json.RawMessage); ok {
		return string(r)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // values decoded from JSON always encode
	return strings.TrimSuffix(b.String(), "\n")
}
