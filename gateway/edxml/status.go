package edxml

import (
	"strings"

	"docgate/gateway"
)

// docgate's names for the recall statuses, which the gateway's processing
// statuses (01..06) do not cover.
const (
	StatusRecallRequested gateway.ProcessingStatus = "recall_requested" // 13
	StatusRecallAccepted  gateway.ProcessingStatus = "recall_accepted"  // 15, also an update accepted
	StatusRecallRefused   gateway.ProcessingStatus = "recall_refused"   // 16, also an update refused
)

// statusCodes pairs edXML status codes with docgate's names. A function, not
// a map variable, so that nothing can change the table at run time.
func statusCodes() [][2]string {
	return [][2]string{
		{"01", string(gateway.StatusReceived)},
		{"02", string(gateway.StatusRejected)},
		{"03", string(gateway.StatusAccepted)},
		{"04", string(gateway.StatusAssigned)},
		{"05", string(gateway.StatusProcessing)},
		{"06", string(gateway.StatusDone)},
		{"13", string(StatusRecallRequested)},
		{"15", string(StatusRecallAccepted)},
		{"16", string(StatusRecallRefused)},
	}
}

// StatusName returns docgate's name for an edXML status code. A code written
// with one digit ("1") reads as its two-digit form. EINVALID for any other
// code.
func StatusName(code string) (gateway.ProcessingStatus, error) {
	c := strings.TrimSpace(code)
	if len(c) == 1 {
		c = "0" + c
	}
	for _, p := range statusCodes() {
		if p[0] == c {
			return gateway.ProcessingStatus(p[1]), nil
		}
	}
	return "", gateway.Errorf(gateway.EINVALID, "StatusCode %q is not an edXML status: use 01..06, 13, 15 or 16", code)
}

// StatusCode returns the edXML status code for one of docgate's status names.
// A rejection must carry its reason: EINVALID when reason is empty for
// rejected, and for an unknown name.
func StatusCode(name gateway.ProcessingStatus, reason string) (string, error) {
	if name == gateway.StatusRejected && strings.TrimSpace(reason) == "" {
		return "", gateway.Errorf(gateway.EINVALID, "a rejection needs a reason: say why the document is rejected")
	}
	for _, p := range statusCodes() {
		if p[1] == string(name) {
			return p[0], nil
		}
	}
	return "", gateway.Errorf(gateway.EINVALID, "status %q has no edXML code: use received, rejected, accepted, assigned, processing, done, recall_requested, recall_accepted or recall_refused", name)
}

// Name returns docgate's name for the status's code (see StatusName).
func (s *Status) Name() (gateway.ProcessingStatus, error) {
	return StatusName(s.Code)
}

// Validate checks what every status message must have: who reports it, what
// it answers, a known code, and a reason for a rejection. Errors: EINVALID
// naming the element to fix.
func (s *Status) Validate() error {
	if s.From.OrganID == "" {
		return gateway.Errorf(gateway.EINVALID, "From/OrganId is required: the code of the agency reporting the status")
	}
	if s.ResponseFor.DocumentID == "" && s.ResponseFor.Code == "" {
		return gateway.Errorf(gateway.EINVALID, "ResponseFor/DocumentId (or ResponseFor/Code) is required: the document the status is about")
	}
	if s.Code == "" {
		return gateway.Errorf(gateway.EINVALID, "StatusCode is required: one of 01..06, 13, 15, 16")
	}
	name, err := StatusName(s.Code)
	if err != nil {
		return err
	}
	if _, err := StatusCode(name, s.Description); err != nil {
		return gateway.Errorf(gateway.EINVALID, "StatusCode 02 (rejected) needs the reason in Description")
	}
	return nil
}
