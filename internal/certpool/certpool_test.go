package certpool_test

import (
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/certpool"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localca"
)

func TestParse(t *testing.T) {
	ca1, err := localca.New("private CA 1")
	if err != nil {
		t.Fatal(err)
	}
	ca2, err := localca.New("private CA 2")
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("secret")}))
	garbage := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}))
	large := strings.Repeat("# padding\n", certpool.MaxBytes/10) + ca1.PEM()
	tests := []struct {
		name         string
		bundle       string
		wantProblems []string
		wantCerts    int
	}{
		{name: "one CA", bundle: ca1.PEM(), wantCerts: 1},
		{name: "a bundle with comments", bundle: "# CA 1\n" + ca1.PEM() + "\n# CA 2\n" + ca2.PEM(), wantCerts: 2},
		{name: "empty", bundle: "", wantProblems: []string{"no PEM certificate found"}},
		{name: "not PEM", bundle: "MIIB...", wantProblems: []string{"no PEM certificate found"}},
		{name: "a key is refused, without its content", bundle: ca1.PEM() + key,
			wantProblems: []string{`PEM block 2 is a "PRIVATE KEY", not a CERTIFICATE`}},
		{name: "a certificate that does not parse", bundle: garbage,
			wantProblems: []string{"certificate 1 does not parse: x509: malformed certificate"}},
		{name: "a truncated block", bundle: ca1.PEM() + ca2.PEM()[:100],
			wantProblems: []string{"PEM block 2 is malformed"}},
		{name: "too large", bundle: large,
			wantProblems: []string{fmt.Sprintf("%d bytes, at most 16384", len(large))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := certpool.Parse(tt.bundle)

			var perr *certpool.Error
			if tt.wantProblems != nil {
				if !errors.As(err, &perr) {
					t.Fatalf("Parse = %v, want a *certpool.Error", err)
				}
				if diff := cmp.Diff(perr.Problems, tt.wantProblems); diff != "" {
					t.Errorf("problems (-got +want):\n%s", diff)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error %q shows a block's content", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			//nolint:staticcheck // Subjects is deprecated for system pools only; this pool is built from the bundle
			if got := len(pool.Subjects()); got != tt.wantCerts {
				t.Errorf("pool holds %d certificates, want %d", got, tt.wantCerts)
			}
		})
	}
}
