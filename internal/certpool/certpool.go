// Package certpool reads the certificate authorities an app's health probes trust in place of the system's
// (health.rootCAs): a bundle of PEM certificates, for apps whose load balancers serve certificates of a private CA.
// The deployment's validation and the prober read a bundle with the same function, so a bundle that passed
// validation is the one the probes trust.
package certpool

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// MaxBytes bounds a bundle: the configuration, the bundle with it, travels in every state document of a deployment,
// which Step Functions limits to 256 KiB. A dozen certificates fit.
const MaxBytes = 16 << 10

// Error lists every problem of a bundle.
type Error struct {
	Problems []string
}

func (e *Error) Error() string { return "root CAs: " + strings.Join(e.Problems, "; ") }

// Parse returns the pool of the certificates in bundle, which must hold at least one PEM "CERTIFICATE" block, only
// such blocks (and text around them: comments, as in the system's bundles), every one a certificate that parses,
// and at most MaxBytes. The error is an *Error.
func Parse(bundle string) (*x509.CertPool, error) {
	var problems []string
	if len(bundle) > MaxBytes {
		problems = append(problems, fmt.Sprintf("%d bytes, at most %d", len(bundle), MaxBytes))
	}
	pool := x509.NewCertPool()
	rest, n := []byte(bundle), 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			problems = append(problems, fmt.Sprintf("PEM block %d is a %q, not a CERTIFICATE", n, block.Type))
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			problems = append(problems, fmt.Sprintf("certificate %d does not parse: %v", n, err))
			continue
		}
		pool.AddCert(cert)
	}
	if strings.Contains(string(rest), "-----BEGIN") {
		problems = append(problems, fmt.Sprintf("PEM block %d is malformed", n+1))
	}
	if n == 0 && len(problems) == 0 {
		problems = append(problems, "no PEM certificate found")
	}
	if problems != nil {
		return nil, &Error{Problems: problems}
	}
	return pool, nil
}
