package localdeploy

import "testing"

func TestObservedReadsAsTheDemoPrintsIt(t *testing.T) {
	for _, tc := range []struct {
		o    Observed
		want string
	}{
		{Observed{30, 28.7, 1200}, "30 %: observed 28.7 % of 1,200 requests"},
		{Observed{10, 0, 0}, "10 %: observed 0.0 % of 0 requests"},
		{Observed{100, 100, 1234567}, "100 %: observed 100.0 % of 1,234,567 requests"},
		{Observed{60, 59.95, 999}, "60 %: observed 60.0 % of 999 requests"},
	} {
		if got := tc.o.String(); got != tc.want {
			t.Errorf("%+v reads %q, want %q", tc.o, got, tc.want)
		}
	}
}
