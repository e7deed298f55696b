package deploy_test

import (
	"encoding/pem"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/certpool"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localca"
)

func TestConfigValidateTLS(t *testing.T) {
	ca, err := localca.New("private CA")
	if err != nil {
		t.Fatal(err)
	}
	key := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("do not show me")}))
	tests := []struct {
		name   string
		change func(*deploy.Config)
		want   []string
	}{
		{name: "host", change: func(c *deploy.Config) { c.Health.Scheme, c.Health.ServerName = "https", "host" }},
		{name: "stack", change: func(c *deploy.Config) { c.Health.Scheme, c.Health.ServerName = "https", "stack" }},
		{name: "a literal name", change: func(c *deploy.Config) { c.Health.ServerName = "www.example.org" }},
		{name: "a private CA", change: func(c *deploy.Config) { c.Health.RootCAs = ca.PEM() }},
		{name: "not a name", change: func(c *deploy.Config) { c.Health.ServerName = "https://www.example.org" },
			want: []string{`health serverName "https://www.example.org" must be "host", "stack" or a DNS name`}},
		{name: "upper case", change: func(c *deploy.Config) { c.Health.ServerName = "WWW.example.org" },
			want: []string{"must be lower-case"}},
		{name: "a wildcard is no name to present", change: func(c *deploy.Config) { c.Health.ServerName = "*.example.org" },
			want: []string{`invalid label "*"`}},
		{name: "not PEM", change: func(c *deploy.Config) { c.Health.RootCAs = "MIIBkTCB+wIJAK..." },
			want: []string{"health rootCAs: no PEM certificate found"}},
		{name: "a key, not shown", change: func(c *deploy.Config) { c.Health.RootCAs = ca.PEM() + key },
			want: []string{`health rootCAs: PEM block 2 is a "EC PRIVATE KEY", not a CERTIFICATE`}},
		{name: "too large", change: func(c *deploy.Config) {
			c.Health.RootCAs = strings.Repeat(ca.PEM(), certpool.MaxBytes/len(ca.PEM())+1)
		}, want: []string{"at most 16384"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			got := problemsOf(t, c.Validate("demoapp"))
			checkProblems(t, got, tt.want)
			if strings.Contains(strings.Join(got, " "), "do not show me") {
				t.Errorf("problems show a PEM block's content: %q", got)
			}
		})
	}
}

// A configuration stored by the previous version (no serverName, rootCAs) still loads and validates, and the new
// fields decode by their exact names.
func TestStoredConfigWithoutTLSFieldsLoads(t *testing.T) {
	old := `{"hostedZoneId":"Z0EXAMPLE12345","template":{"url":"https://t.s3.amazonaws.com/a.yaml"},` +
		`"serviceRoleArn":"arn:aws:iam::123456789012:role/demoapp-cloudformation","endpoint":{},` +
		`"health":{"scheme":"https","path":"/health","retries":3},"strategy":{"steps":null}}`
	c, err := deploy.DecodeConfig([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	c.Zone = "example.com"
	c.Resolve()
	if err := c.Validate("demoapp"); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if c.Health.ServerName != "" || c.Health.RootCAs != "" {
		t.Errorf("serverName %q, rootCAs %q: want them unset (the probe's defaults apply)", c.Health.ServerName, c.Health.RootCAs)
	}
	c, err = deploy.DecodeConfig([]byte(`{"health":{"serverName":"stack","rootCAs":"x"}}`))
	if err != nil || c.Health.ServerName != "stack" || c.Health.RootCAs != "x" {
		t.Errorf("DecodeConfig = %+v, %v", c.Health, err)
	}
	if _, err := deploy.DecodeConfig([]byte(`{"health":{"servername":"stack"}}`)); err == nil {
		t.Error("a key spelt otherwise than serverName was accepted")
	}
}
