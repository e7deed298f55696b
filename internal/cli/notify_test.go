package cli_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// inbox subscribes a queue to the deployer's topic; the function returns every message received so far.
func (b bg) inbox() func() []string {
	b.t.Helper()
	ctx := context.Background()
	q := sqs.NewFromConfig(b.d.Config)
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("notifications")})
	if err != nil {
		b.t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(b.d.Config).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(b.d.Topic), Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		b.t.Fatal(err)
	}
	var got []string
	return func() []string {
		for {
			msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, MaxNumberOfMessages: 10})
			if err != nil {
				b.t.Fatal(err)
			}
			if len(msgs.Messages) == 0 {
				return got
			}
			for _, m := range msgs.Messages {
				got = append(got, aws.ToString(m.Body))
			}
		}
	}
}

var commandRE = regexp.MustCompile("`bluegreen ([a-z-]+)[^`]*`")

// The notifications, read from a queue subscribed to the topic, carry the app, the version and the previous one,
// the result and its reason, how far the traffic got, and the commands that promote, abort or roll back — each a
// command the CLI has.
func TestNotifications(t *testing.T) {
	b := setup(t)
	inbox := b.inbox()
	noGate := `{"strategy":{"approvals":[]}}`
	b.must(0, "deploy", "demoapp", "v1", "--config", noGate)
	b.must(0, "deploy", "demoapp", "v2", "--no-wait")
	b.atGate("demoapp")
	l, err := b.d.Operator.Lock(context.Background(), "demoapp")
	if err != nil {
		t.Fatal(err)
	}
	token := l.Approval.Token
	waitFor(t, "the gate's notification", func() bool {
		return slices.ContainsFunc(inbox(), func(m string) bool { return strings.Contains(m, "approval waiting") })
	})
	b.must(0, "promote", "demoapp")
	b.must(0, "watch", "demoapp")
	b.must(0, "deploy", "demoapp", "v3", "--no-wait")
	b.atGate("demoapp")
	b.must(1, "deploy", "demoapp", "v4")
	b.must(0, "abort", "demoapp")
	b.must(1, "watch", "demoapp")
	b.must(0, "rollback", "demoapp")
	if err := b.d.AddApp(context.Background(), "shop", b.d.AppConfig(b.zoneID)); err != nil {
		t.Fatal(err)
	}
	b.must(0, "deploy", "shop", "v1", "--config", noGate)
	b.must(1, "rollback", "shop") // nothing to roll back to: refused

	want := []struct {
		name  string
		parts []string
	}{
		{name: "first release", parts: []string{"demoapp v1 (deploy): deployed, live on blue stack demoapp-"}},
		{name: "approval", parts: []string{"demoapp v2 (deploy, previous v1): approval waiting at 30% (healthy", "`bluegreen promote demoapp`", "--full", "`bluegreen abort demoapp`"}},
		{name: "deployed", parts: []string{"demoapp v2 (deploy, previous v1): deployed, live on green stack demoapp-", "To go back to v1 (blue stack demoapp-", "`bluegreen rollback demoapp`"}},
		{name: "locked", parts: []string{"demoapp v4 (deploy): refused, the app is locked: app demoapp is locked by running execution", "demoapp-deploy-v3-", "`bluegreen status demoapp`"}},
		{name: "rolled back", parts: []string{"demoapp v3 (deploy, previous v2): rolled back at 30%: ApprovalAborted", "v2 still live on green stack demoapp-", "`bluegreen status demoapp`"}},
		{name: "refused", parts: []string{"shop (rollback): refused before any change, nothing was written:", "TargetMissingError", "`bluegreen status shop`"}},
		{name: "manual rollback", parts: []string{"demoapp (rollback, previous v2): rolled back: blue stack demoapp-", "(v1) is live again in place of green stack", "`bluegreen rollback demoapp`"}},
	}
	var msgs []string
	waitFor(t, "every notification", func() bool { msgs = inbox(); return len(msgs) >= len(want)+2 })
	t.Logf("%d notifications:\n%s", len(msgs), strings.Join(msgs, "\n"))
	for _, w := range want {
		if !slices.ContainsFunc(msgs, func(m string) bool {
			return !slices.ContainsFunc(w.parts, func(p string) bool { return !strings.Contains(m, p) })
		}) {
			t.Errorf("no %s notification says %q; got:\n%s", w.name, w.parts, strings.Join(msgs, "\n"))
		}
	}
	for _, m := range msgs {
		if strings.Contains(m, token) {
			t.Errorf("a notification carries the approval token: %s", m)
		}
		for _, c := range commandRE.FindAllStringSubmatch(m, -1) {
			if code, _, errOut := b.run(c[1], "--help"); code != 0 {
				t.Errorf("a notification names %s, which is no command of the CLI (%s)", c[0], errOut)
			}
		}
	}
}
