package stacks

import "fmt"

// ExistsError says Create found a stack of that name that this execution did not create. Nothing was written.
type ExistsError struct {
	// Stack is the stack's name and ID its ARN.
	Stack string
	ID    string
	// Execution is the execution that created it, from its tag; empty when the deployer did not create it.
	Execution string
}

// Error names the stack and what is wrong with it.
func (e *ExistsError) Error() string {
	if e.Execution == "" {
		return fmt.Sprintf("stack %s already exists and was not created by the deployer", e.Stack)
	}
	return fmt.Sprintf("stack %s already exists, created by execution %s", e.Stack, e.Execution)
}

// NotManagedError says a stack lacks the tag bluegreen:managed=true, so the deployer refuses to delete it.
type NotManagedError struct {
	Stack string
}

// Error names the stack and what is wrong with it.
func (e *NotManagedError) Error() string {
	return fmt.Sprintf("stack %s is not managed by the deployer (no tag %s=true): refusing to delete it", e.Stack, TagManaged)
}

// NotFoundError says a stack does not exist.
type NotFoundError struct {
	Stack string
}

// Error names the stack and what is wrong with it.
func (e *NotFoundError) Error() string { return fmt.Sprintf("stack %s does not exist", e.Stack) }

// NotCompleteError says a stack exists but is not complete (see Phase), so its outputs cannot be trusted.
type NotCompleteError struct {
	Stack  string
	Status string
}

// Error names the stack and what is wrong with it.
func (e *NotCompleteError) Error() string {
	return fmt.Sprintf("stack %s is %s, not complete", e.Stack, e.Status)
}

// MissingOutputError says a stack has no (or an empty) output of that key.
type MissingOutputError struct {
	Stack  string
	Output string
}

// Error names the stack and what is wrong with it.
func (e *MissingOutputError) Error() string {
	return fmt.Sprintf("stack %s has no output %q", e.Stack, e.Output)
}
