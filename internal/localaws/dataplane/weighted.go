package dataplane

// Picker draws random numbers: IntN returns one in [0, n). A *rand.Rand (math/rand/v2) is one; the server guards
// its own with a lock.
type Picker interface {
	IntN(n int) int
}

// pickWeighted returns the index of the member of a weighted group that answers one query, as Route 53 chooses
// ("Weighted routing"; "How Amazon Route 53 chooses records when health checking is configured"):
//
//   - each record is chosen with probability weight / sum of the weights, among the healthy records with a weight
//     above 0 ("Formula for how much traffic is routed to a given resource: weight for a specified record / sum of
//     the weights for all records");
//   - "Route 53 initially considers only the nonzero weighted records, if any"; "If all the records that have a
//     weight greater than 0 are unhealthy, then Route 53 considers the zero-weighted records", which share the
//     traffic equally ("If you set Weight to 0 for all of the records in the group, traffic is routed to all
//     resources with equal probability", ResourceRecordSet, Route 53 API reference);
//   - "If none of the records in a group of records are healthy, Route 53 needs to return something in response to
//     DNS queries ... In this circumstance, Route 53 considers all the records in the group to be healthy and
//     selects one based on the routing policy": the same two steps again, with every record healthy.
//
// Route 53 documents the choice as "choose by weight, then check health, choose again among the rest"; drawing
// once among the healthy ones by weight gives the same distribution.
func pickWeighted(weights []int64, healthy []bool, rnd Picker) int {
	for _, considered := range []func(i int) bool{
		func(i int) bool { return healthy[i] },
		func(int) bool { return true }, // none healthy: all are
	} {
		if i := byWeight(weights, func(i int) bool { return considered(i) && weights[i] > 0 }, rnd); i >= 0 {
			return i
		}
		if i := uniformly(len(weights), func(i int) bool { return considered(i) && weights[i] <= 0 }, rnd); i >= 0 {
			return i
		}
	}
	return -1 // an empty group
}

// byWeight draws one of the members that ok accepts, in proportion to their weights; -1 when ok accepts none.
func byWeight(weights []int64, ok func(i int) bool, rnd Picker) int {
	var total int64
	for i, w := range weights {
		if ok(i) {
			total += w
		}
	}
	if total <= 0 {
		return -1
	}
	x := int64(rnd.IntN(int(total)))
	for i, w := range weights {
		if !ok(i) {
			continue
		}
		if x < w {
			return i
		}
		x -= w
	}
	return -1
}

// uniformly draws one of the n members that ok accepts, each as likely as the others; -1 when ok accepts none.
func uniformly(n int, ok func(i int) bool, rnd Picker) int {
	var members []int
	for i := range n {
		if ok(i) {
			members = append(members, i)
		}
	}
	if len(members) == 0 {
		return -1
	}
	return members[rnd.IntN(len(members))]
}
