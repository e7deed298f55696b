package stacks

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Summary is one of an app's stacks, as List reports it.
type Summary struct {
	// Name is the stack's name, "<app>-<StackID>"; ARN its id.
	Name    string
	StackID string
	ARN     string
	// Status is CloudFormation's stack status; Phase what it means (see PhaseOf).
	Status string
	Phase  Phase
	// Color, Version and Execution are the deployer's tags (see the Tag constants).
	Color     records.Color
	Version   string
	Execution string
	// Created is when the stack was created.
	Created time.Time
	// Tags are all the stack's tags.
	Tags map[string]string
}

// liveStatuses is every status but DELETE_COMPLETE, for ListStacks (which otherwise lists the stacks deleted in the
// last 90 days).
var liveStatuses = slices.DeleteFunc(types.StackStatus("").Values(), func(s types.StackStatus) bool {
	return s == types.StackStatusDeleteComplete
})

// List returns app's stacks that are not deleted, oldest first: the stacks named "<app>-<6 digits>" whose tags say
// the deployer created them for app. Another app's stacks are never listed, however similar their names.
//
// It lists stack summaries with ListStacks and describes only the app's candidates (by ARN, for their tags), so the
// deployer needs DescribeStacks on its apps' stacks only, not on every stack of the account.
func (m *Manager) List(ctx context.Context, app string) ([]Summary, error) {
	if err := records.ValidateAppName(app); err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	var candidates []types.StackSummary
	p := cloudformation.NewListStacksPaginator(m.cfn, &cloudformation.ListStacksInput{StackStatusFilter: liveStatuses})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list stacks of app %s: %w", app, err)
		}
		for _, s := range out.StackSummaries {
			if _, ok := stackIDOf(app, aws.ToString(s.StackName)); ok && s.StackStatus != types.StackStatusDeleteComplete {
				candidates = append(candidates, s)
			}
		}
	}

	var list []Summary
	for _, c := range candidates {
		name, arn := aws.ToString(c.StackName), aws.ToString(c.StackId)
		st, err := m.describe(ctx, arn)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describe stack %s of app %s: %w", name, app, err)
		}
		tags := tagMap(st.Tags)
		if st.StackStatus == types.StackStatusDeleteComplete || tags[TagManaged] != "true" || tags[TagApp] != app {
			continue
		}
		id, _ := stackIDOf(app, name)
		list = append(list, Summary{
			Name:      name,
			StackID:   id,
			ARN:       arn,
			Status:    string(st.StackStatus),
			Phase:     PhaseOf(string(st.StackStatus)),
			Color:     records.Color(tags[TagColor]),
			Version:   tags[TagVersion],
			Execution: tags[TagExecution],
			Created:   aws.ToTime(st.CreationTime),
			Tags:      tags,
		})
	}
	slices.SortFunc(list, func(a, b Summary) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Name, b.Name))
	})
	return list, nil
}

// stackIDOf returns the stack id of name when name is one of app's stack names, "<app>-<6 digits>".
func stackIDOf(app, name string) (string, bool) {
	id, ok := strings.CutPrefix(name, app+"-")
	return id, ok && records.ValidateStackID(id) == nil
}

// Unslotted returns the stacks whose ids are not among slotted (the ids the app's slot records name; empty ones are
// ignored). A rollback restores the slot records, so these are the stacks failed runs kept for inspection (and any
// whose deletion failed): the next deployment's clean-up deletes them. While a deployment runs, its new stack is
// unslotted until published; tell it apart by Execution.
func Unslotted(stacks []Summary, slotted ...string) []Summary {
	var out []Summary
	for _, s := range stacks {
		if !slices.Contains(slotted, s.StackID) {
			out = append(out, s)
		}
	}
	return out
}
