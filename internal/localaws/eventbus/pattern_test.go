package eventbus_test

import (
	"errors"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
)

// The examples of EventBridge's documentation ("Amazon EventBridge event patterns", "Content filtering in Amazon
// EventBridge event patterns", "Arrays in Amazon EventBridge event patterns") and of aws/event-ruler's README, with
// the events they are documented to match or not.

// ec2Event is the documentation's EC2 state-change event.
const ec2Event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
}`

// rulerEvent is event-ruler's README example event.
const rulerEvent = `{
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33", "instance-id": "i-000000aaaaaa00000", "state": "running"}
}`

func TestPatternsMatchAsDocumented(t *testing.T) {
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"the user guide's instance-termination pattern", `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}`, ec2Event, true},
		{"another state", `{"source": ["aws.ec2"], "detail": {"state": ["running"]}}`, ec2Event, false},
		{"fields the pattern does not name are ignored", `{"detail": {"instance-id": ["i-1234567890abcdef0"]}}`, ec2Event, true},
		{"any value of the list", `{"detail": {"state": ["initializing", "running"]}}`, rulerEvent, true},
		{"a field the event does not have", `{"detail": {"missing": ["x"]}}`, ec2Event, false},
		{"values are matched exactly: case", `{"source": ["AWS.EC2"]}`, ec2Event, false},
		{"a string is not a number", `{"detail": {"c-count": ["5"]}}`, rulerEvent, false},
		{"numbers compare as numbers", `{"detail": {"x-limit": [3.018e2]}}`, rulerEvent, true},

		{"prefix", `{"time": [{"prefix": "2017-10-02"}]}`, rulerEvent, true},
		{"prefix, no match", `{"time": [{"prefix": "2017-10-03"}]}`, rulerEvent, false},
		{"prefix ignoring case", `{"detail": {"state": [{"prefix": {"equals-ignore-case": "RUN"}}]}}`, rulerEvent, true},
		{"prefix only of strings", `{"detail": {"c-count": [{"prefix": "5"}]}}`, rulerEvent, false},
		{"suffix", `{"source": [{"suffix": "ec2"}]}`, rulerEvent, true},
		{"suffix, no match", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "photo.jpg"}`, false},
		{"suffix .png", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "photo.png"}`, true},
		{"suffix ignoring case", `{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}`, `{"FileName": "PHOTO.PNG"}`, true},
		{"equals-ignore-case", `{"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}`, ec2Event, true},

		{"anything-but a string", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, rulerEvent, true},
		{"anything-but the value", `{"detail": {"state": [{"anything-but": "running"}]}}`, rulerEvent, false},
		{"anything-but a number", `{"detail": {"x-limit": [{"anything-but": 123}]}}`, rulerEvent, true},
		{"anything-but a list of strings", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, rulerEvent, true},
		{"anything-but a list with the value", `{"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}`, rulerEvent, false},
		{"anything-but a list of numbers", `{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}`, rulerEvent, true},
		{"anything-but a prefix", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, rulerEvent, true},
		{"anything-but the prefix", `{"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}`, rulerEvent, false},
		{"anything-but a suffix", `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`, `{"FileName": "a.png"}`, false},
		{"anything-but ignoring case", `{"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}`, `{"state": "INITIALIZING"}`, false},
		{"anything-but a wildcard", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/lib/x"}`, false},
		{"anything-but a wildcard, other path", `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`, `{"FilePath": "/usr/bin/x"}`, true},
		{"anything-but never matches an absent field", `{"detail": {"missing": [{"anything-but": "x"}]}}`, rulerEvent, false},

		{"numeric: every field in range", `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}], "x-limit": [{"numeric": ["=", 3.018e2]}]}}`, rulerEvent, true},
		{"numeric: one out of range", `{"detail": {"c-count": [{"numeric": [">", 5]}]}}`, rulerEvent, false},
		{"numeric only of numbers", `{"detail": {"state": [{"numeric": [">", 0]}]}}`, rulerEvent, false},
		{"cidr", `{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}`, rulerEvent, true},
		{"cidr, outside", `{"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}`, rulerEvent, false},
		{"cidr IPv6", `{"ip": [{"cidr": "2001:db8::/32"}]}`, `{"ip": "2001:db8::1"}`, true},

		{"exists", `{"detail": {"state": [{"exists": true}]}}`, rulerEvent, true},
		{"exists, absent", `{"detail": {"state": [{"exists": true}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, false},
		{"exists false, absent", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"state": ["initializing", "running"]}}`, true},
		{"exists works on leaves only: an object is absent", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}}}`, true},
		{"exists true is not met by an object", `{"detail": {"c-count": [{"exists": true}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, false},
		{"exists false, present", `{"detail": {"state": [{"exists": false}]}}`, rulerEvent, false},
		{"exists false, no detail at all", `{"detail": {"state": [{"exists": false}]}}`, `{"source": "x"}`, true},

		{"wildcard", `{"source": [{"wildcard": "Simple*Service"}]}`, `{"source": "SimpleQueueService"}`, true},
		{"wildcard: zero characters", `{"source": [{"wildcard": "Simple*Service"}]}`, `{"source": "SimpleService"}`, true},
		{"wildcard: whole value", `{"source": [{"wildcard": "Simple*Service"}]}`, `{"source": "SimpleServices"}`, false},
		{"wildcard: several", `{"key": [{"wildcard": "*Title*"}]}`, `{"key": "a Title here"}`, true},
		{"wildcard: dir/*.png", `{"key": [{"wildcard": "dir/*.png"}]}`, `{"key": "dir/sub/a.png"}`, true},
		{"wildcard: escaped asterisk", `{"key": [{"wildcard": "a\\*b"}]}`, `{"key": "a*b"}`, true},
		{"wildcard: an escaped asterisk is not a wildcard", `{"key": [{"wildcard": "a\\*b"}]}`, `{"key": "axb"}`, false},
		{"wildcard: escaped backslash", `{"key": [{"wildcard": "a\\\\*"}]}`, `{"key": "a\\b"}`, true},

		{"$or: one alternative", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}`, rulerEvent, true},
		{"$or: none", `{"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": [">", 10]}]}]}}`, rulerEvent, false},
		{"$or beside an and", `{"source": ["aws.ec2"], "$or": [{"region": ["eu-west-1"]}, {"account": ["012345679012"]}]}`, rulerEvent, true},

		{"arrays: the pattern's and the event's intersect", `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}`,
			`{"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x", "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"arrays: no intersection", `{"resources": ["arn:x"]}`, `{"resources": ["arn:y", "arn:z"]}`, false},
		{"arrays of objects are crushed", `{"employees": {"firstName": ["Anna"]}}`, employees, true},
		{"arrays: fields of one element", `{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`, employees, true},
		{"arrays: fields of different elements do not combine", `{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}`, employees, false},
		{"arrays: multi-level", `{"employees": {"firstName": ["Peter"]}}`, `{"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]}`, true},

		{"null matches null", `{"a": [null]}`, `{"a": null}`, true},
		{"null does not match an absent field", `{"a": [null]}`, `{}`, false},
		{"empty string", `{"LastName": [""]}`, `{"LastName": ""}`, true},
		{"last key wins", `{"detail": {"state": [{"prefix": "x"}], "state": [{"anything-but": "initializing"}]}}`, rulerEvent, true},
		{"an event that is not an object", `{"a": ["b"]}`, `["a"]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eventbus.Compile(tt.pattern)
			if err != nil {
				t.Fatalf("compile %s: %v", tt.pattern, err)
			}
			if got := p.Match([]byte(tt.event)); got != tt.want {
				t.Errorf("%s matches %s: %v, want %v", tt.pattern, tt.event, got, tt.want)
			}
		})
	}
}

const employees = `{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}`

func TestPatternsEventBridgeRefuses(t *testing.T) {
	for _, p := range []string{
		`["aws.s3"]`,
		`{"source": "aws.s3"}`,
		`{"source": []}`,
		`{"source": [["aws.s3"]]}`,
		`{"source": [{"prefix": 1}]}`,
		`{"source": [{"prefix": "a", "suffix": "b"}]}`,
		`{"source": [{"regex": "a.*"}]}`,
		`{"key": [{"wildcard": "a**b"}]}`,
		`{"key": [{"wildcard": "a\\b"}]}`,
		`{"key": [{"wildcard": "a\\"}]}`,
		`{"n": [{"numeric": [">", 6e9]}]}`,
		`{"n": [{"numeric": ["<", 5, ">", 1]}]}`,
		`{"n": [{"numeric": [">", 5, "<", 1]}]}`,
		`{"n": [{"numeric": ["!=", 5]}]}`,
		`{"n": [{"anything-but": ["a", 1]}]}`,
		`{"n": [{"anything-but": {"prefix": ["a", "b"]}}]}`,
		`{"n": [{"anything-but": {"numeric": [">", 1]}}]}`,
		`{"n": [{"exists": "yes"}]}`,
		`{"ip": [{"cidr": "10.0.0.0/33"}]}`,
		`{"$or": [{"a": ["b"]}]}`,
		`not json`,
	} {
		_, err := eventbus.Compile(p)
		var pe *eventbus.PatternError
		if !errors.As(err, &pe) {
			t.Errorf("Compile(%s) = %v, want a PatternError", p, err)
		}
	}
}
