package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// changeAPI is the Route 53 call that creates the other records.
type changeAPI interface {
	ChangeResourceRecordSets(ctx context.Context, params *route53.ChangeResourceRecordSetsInput, optFns ...func(*route53.Options)) (*route53.ChangeResourceRecordSetsOutput, error)
}

var _ changeAPI = (*route53.Client)(nil)

// maxChanges is the most changes Route 53 takes in one ChangeResourceRecordSets.
const maxChanges = 1000

// OtherName is the name of the i-th record of the zone that belongs to no app: host-<i>.alpha.<zone> for even i,
// host-<i>.omega.<zone> for odd i. Route 53 lists names with their labels reversed, compared as strings with the
// dots, so an app's names — <app>.<zone>, <app>-<id>.<zone>, stack.*.<app>.<zone> — lie in one contiguous range of
// <zone>'s second-level labels starting with the app's name: "alpha" sorts before it and "omega" after it for an
// app named from "b" to "o" (the bench's app is "demoapp"). Half the other names lie before the app's range and
// half after, so a read scoped to the range pays for neither side, and one that lists the whole zone pays for both.
func OtherName(i int, zone string) string {
	label := "alpha"
	if i%2 == 1 {
		label = "omega"
	}
	return fmt.Sprintf("host-%05d.%s.%s", i, label, zone)
}

// addOtherRecords creates n A records named by OtherName in a zone, in batches of maxChanges.
func addOtherRecords(ctx context.Context, api changeAPI, zoneID, zone string, n int) error {
	for start := 0; start < n; start += maxChanges {
		var changes []r53types.Change
		for i := start; i < n && i < start+maxChanges; i++ {
			changes = append(changes, r53types.Change{
				Action: r53types.ChangeActionCreate,
				ResourceRecordSet: &r53types.ResourceRecordSet{
					Name: aws.String(OtherName(i, zone)), Type: r53types.RRTypeA, TTL: aws.Int64(300),
					ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(fmt.Sprintf("192.0.2.%d", 1+i%254))}},
				},
			})
		}
		_, err := api.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
			HostedZoneId: aws.String(zoneID),
			ChangeBatch:  &r53types.ChangeBatch{Comment: aws.String("bench: records of no app"), Changes: changes},
		})
		if err != nil {
			return fmt.Errorf("create other records %d-%d in zone %s: %w", start, start+len(changes)-1, zoneID, err)
		}
	}
	return nil
}
