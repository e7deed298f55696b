package health

import (
	"net/url"
	"strings"
	"unicode"
)

// Redacted replaces, in a URL shown in evidence, a log or an error, the value of a query parameter whose name says
// it may hold a secret.
const Redacted = "REDACTED"

// secretNameParts are what a query parameter's name contains, in any letter case, when its value may be a secret:
// X-Amz-Signature, X-Amz-Credential and X-Amz-Security-Token (a presigned URL), api_key, access_token, sig, ...
var secretNameParts = []string{
	"token", "key", "secret", "signature", "sig", "password", "auth", "credential", "session",
}

// SafeURL returns raw fit for evidence, logs and error messages: without userinfo and fragment, and with the value of
// every query parameter whose name contains, in any letter case (Unicode folding included), token, key, secret,
// signature, sig, password, auth, credential or session replaced by Redacted; other parameters are kept as written,
// in their order (?version=2 stays). A string that does not parse as a URL is replaced by a placeholder rather than
// echoed.
func SafeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return safeURL(u)
}

func safeURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	c.RawQuery = redactQuery(c.RawQuery)
	return c.String()
}

// redactQuery redacts the values of secret-named parameters of a raw query and keeps the rest byte for byte. It
// splits parameters at ';' as well as '&': Go's servers refuse a ';' in a query, but others split there, and a
// parameter after one must not hide inside the value before it.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	for {
		pair, rest, more := raw, "", false
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			pair, rest, more = raw[:i], raw[i:], true
		}
		if name, _, hasValue := strings.Cut(pair, "="); hasValue && secretName(name) {
			pair = name + "=" + Redacted
		}
		b.WriteString(pair)
		if !more {
			return b.String()
		}
		b.WriteByte(rest[0])
		raw = rest[1:]
	}
}

// secretName says whether a query parameter's name, as written (escaped), names a secret. A name that does not
// unescape is taken for one: what a server makes of it is unknown.
func secretName(escaped string) bool {
	name, err := url.QueryUnescape(escaped)
	if err != nil {
		return true
	}
	name = foldKey(name)
	for _, part := range secretNameParts {
		if strings.Contains(name, foldKey(part)) {
			return true
		}
	}
	return false
}

// foldKey maps every rune of s to the smallest rune of its Unicode case-folding orbit, so that two strings equal
// under strings.EqualFold have the same key: "K", "k" and U+212A KELVIN SIGN all become "K", "s" and U+017F "ſ" "S".
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}
